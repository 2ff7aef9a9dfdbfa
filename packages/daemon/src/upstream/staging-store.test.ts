// The staging store's discard rules and the status questions R asks, on a real SQLite file; and
// migration 006 on a database made before 'discarded' existed, with sessions and entries in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonStore } from '../store/daemon-store.js';
import { loadMigrations, migrate } from '../store/migrations.js';
import { StagingStore, type NewStagedEntry } from './staging-store.js';

const A = 'a'.repeat(64);
const dirs: string[] = [];
const stores: DaemonStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-staging-store-'));
  dirs.push(dir);
  return path.join(dir, 'sync.db');
}
function openStaging(p = dbPath()): StagingStore {
  const store = DaemonStore.open(p);
  stores.push(store);
  return new StagingStore(store.db);
}
const entry = (staging_id: string, p: string): NewStagedEntry => ({
  staging_id, entry_no: 1, base_dir: 'd', path: p, kind: 'file', operation: 'add', checksum: A, size: 3, mode: 0o644,
  mtime: 1, base_checksum: null, e_checksum: null, conflict: false, blob: '1',
});
function stage(s: StagingStore, id: string, client = 'r1', paths = ['a']): void {
  s.createSession({ staging_id: id, client_id: client, file_count: paths.length, now: 1 });
  for (const p of paths) s.addEntry(entry(id, p));
  s.completeSession(id, 2);
}

describe('StagingStore.discardSession', () => {
  it.each<[string, (s: StagingStore) => void, boolean]>([
    ['a complete session nothing was applied of', () => undefined, true],
    ['an applied session', (s) => s.markSessionApplied('S', 3), false],
    ['a partly applied session', (s) => s.markEntryApplied('S', 'd', 'a', { resolution: 'upstream', backup: null, copy_path: null, now: 3 }), false],
    ['a session an apply was killed in (an entry applying)', (s) => s.markEntryApplying('S', 'd', 'a', null), false],
    ['a session discarded already', (s) => s.discardSession('S', 'once', 3), false],
  ])('%s', (_why, before, discarded) => {
    const s = openStaging();
    stage(s, 'S', 'r1', ['a', 'b']);
    before(s);
    expect(s.discardSession('S', 'discarded with zync-apply', 4)).toBe(discarded);
    if (discarded) expect(s.getSession('S')).toMatchObject({ status: 'discarded', reason: 'discarded with zync-apply', updated: 4 });
  });

  it('refuses a session still uploading', () => {
    const s = openStaging();
    s.createSession({ staging_id: 'S', client_id: 'r1', file_count: 1, now: 1 });
    expect(s.discardSession('S', 'x', 2)).toBe(false);
    expect(s.getSession('S')?.status).toBe('in_progress');
  });
});

describe('StagingStore.removeEntry', () => {
  it('takes a staged entry out of a session in progress, with what it counted', () => {
    const s = openStaging();
    s.createSession({ staging_id: 'S', client_id: 'r1', file_count: 2, now: 1 });
    s.addEntry({ ...entry('S', 'a'), conflict: true });
    s.addEntry({ ...entry('S', 'b'), size: 5 });
    expect(s.removeEntry({ staging_id: 'S', base_dir: 'd', path: 'a', conflict: true, size: 3 })).toBe(true);
    expect(s.getSession('S')).toMatchObject({ file_count: 1, received_count: 1, conflict_count: 0, total_bytes: 5 });
    expect(s.listEntries('S').map((e) => e.path)).toEqual(['b']);
  });

  it('changes nothing once the session is complete', () => {
    const s = openStaging();
    stage(s, 'S', 'r1', ['a']);
    expect(s.removeEntry({ staging_id: 'S', base_dir: 'd', path: 'a', conflict: false, size: 3 })).toBe(false);
    expect(s.listEntries('S').map((e) => e.path)).toEqual(['a']);
    expect(s.getSession('S')).toMatchObject({ file_count: 1, received_count: 1 });
  });
});

describe('StagingStore.sessionsOfClient', () => {
  it("answers for the client's own sessions only, with their applied counts", () => {
    const s = openStaging();
    stage(s, 'S1', 'r1', ['a', 'b']);
    stage(s, 'S2', 'r1');
    stage(s, 'S3', 'other');
    s.markEntryApplied('S1', 'd', 'a', { resolution: 'upstream', backup: null, copy_path: null, now: 3 });
    const found = s.sessionsOfClient('r1', ['S1', 'S2', 'S3', 'nope', 'S1']);
    expect(found.map((f) => [f.staging_id, f.status, f.applied_count])).toEqual([
      ['S1', 'complete', 1],
      ['S2', 'complete', 0],
    ]);
  });
});

describe('StagingStore.noteApplyStart', () => {
  it('notes where the log stood when the run that first touched an entry began, and not for a session an older apply touched already', () => {
    const s = openStaging();
    stage(s, 'S1', 'r1', ['a', 'b']);
    stage(s, 'S2');
    s.noteApplyStart('S1', 10); // a run that changed nothing (quit at its first prompt)
    s.noteApplyStart('S1', 20); // the next run applies an entry ...
    s.markEntryApplying('S1', 'd', 'a', null);
    s.noteApplyStart('S1', 30); // ... and a third one keeps its start
    s.markEntryApplied('S2', 'd', 'a', { resolution: 'upstream', backup: null, copy_path: null, now: 3 });
    s.noteApplyStart('S2', 40);
    expect(s.getSession('S1')?.applied_from).toBe(20);
    expect(s.getSession('S2')?.applied_from).toBeNull();
  });
});

describe('StagingStore.waitingBlobsWithChecksum', () => {
  it("finds staged files of that content and size in the client's own sessions still waiting only", () => {
    const s = openStaging();
    stage(s, 'S1', 'r1', ['a']);
    stage(s, 'S2', 'r1', ['b']);
    s.markSessionApplied('S2', 3);
    stage(s, 'S3', 'r1', ['c']);
    s.discardSession('S3', 'x', 4);
    stage(s, 'S4', 'other', ['d']); // another R's waiting session: not this R's bytes
    s.createSession({ staging_id: 'S5', client_id: 'r1', file_count: 1, now: 5 });
    s.addEntry(entry('S5', 'e')); // still uploading
    stage(s, 'S6', 'r1', ['f']);
    expect(s.waitingBlobsWithChecksum('r1', A, 3, 10)).toEqual([
      { staging_id: 'S1', blob: '1' },
      { staging_id: 'S6', blob: '1' },
    ]);
    expect(s.waitingBlobsWithChecksum('other', A, 3, 10)).toEqual([{ staging_id: 'S4', blob: '1' }]);
    expect(s.waitingBlobsWithChecksum('r1', A, 4, 10)).toEqual([]);
    expect(s.waitingBlobsWithChecksum('r1', A, 3, 1)).toHaveLength(1);
  });
});

describe('migration 006 (discarded sessions)', () => {
  it('keeps the sessions and entries of a database made before it', () => {
    const p = dbPath();
    const old = new Database(p);
    old.pragma('foreign_keys = ON');
    migrate(old, p, loadMigrations().slice(0, 5));
    old.prepare(`INSERT INTO staging_sessions (staging_id, client_id, status, created, updated, file_count) VALUES ('S', 'r1', 'complete', 1, 2, 1)`).run();
    old.prepare(`INSERT INTO staging_entries (staging_id, entry_no, base_dir, path, operation, checksum, size, conflict) VALUES ('S', 1, 'd', 'a', 'add', ?, 3, 0)`).run(A);
    old.close();

    const s = openStaging(p);
    expect(s.getSession('S')).toMatchObject({ status: 'complete', client_id: 'r1', file_count: 1 });
    expect(s.listEntries('S').map((e) => e.path)).toEqual(['a']);
    expect(s.discardSession('S', 'gone', 3)).toBe(true);
    expect(s.listSessions({ all: true }).map((x) => x.status)).toEqual(['discarded']);
    // The entries still refer to the rebuilt table: one for an unknown session is refused.
    expect(() => s.addEntry(entry('nope', 'b'))).toThrow(/FOREIGN KEY/);
  });
});

describe('StagingStore.supersededSessions', () => {
  it('counts the paths of pending sessions that later sessions of the same client hold again', () => {
    const s = openStaging();
    stage(s, 'S1', 'r1', ['a', 'b', 'c']);
    s.createSession({ staging_id: 'S2', client_id: 'r1', file_count: 2, now: 5 });
    for (const p of ['a', 'b']) s.addEntry(entry('S2', p));
    s.completeSession('S2', 6);
    s.createSession({ staging_id: 'S3', client_id: 'r1', file_count: 1, now: 7 });
    s.addEntry(entry('S3', 'c'));
    s.completeSession('S3', 8);
    s.discardSession('S3', 'x', 9); // a discarded session supersedes nothing
    s.createSession({ staging_id: 'S4', client_id: 'other', file_count: 1, now: 10 });
    s.addEntry(entry('S4', 'c'));
    s.completeSession('S4', 11); // nor does another client's
    expect(s.supersededSessions()).toEqual(new Map([['S1', { count: 2, by: ['S2'] }]]));
  });
});
