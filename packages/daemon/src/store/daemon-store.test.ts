import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ignoredInput, type ChangeInput } from '../core/entries.js';
import { DaemonStore } from './daemon-store.js';
import Database from 'better-sqlite3';
import { loadMigrations, migrate } from './migrations.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const dirs: string[] = [];
const stores: DaemonStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-store-'));
  dirs.push(dir);
  return path.join(dir, 'sync.db');
}
function open(p: string): DaemonStore {
  const s = DaemonStore.open(p);
  stores.push(s);
  return s;
}
const fileIn = (p: string, checksum = A, o: Partial<ChangeInput> = {}): ChangeInput => ({
  operation: 'add', kind: 'file', base_dir: 'd', path: p, checksum, size: 3, mtime: 1000, mode: 0o644, ino: 5, ...o,
});
const dirIn = (p: string, o: Partial<ChangeInput> = {}): ChangeInput => ({ operation: 'add', kind: 'dir', base_dir: 'd', path: p, checksum: null, size: 0, mtime: 1000, mode: 0o755, ino: 6, ...o });
const del = (p: string): ChangeInput => ({ operation: 'delete', kind: 'file', base_dir: 'd', path: p, checksum: null, size: 0, mtime: 0, mode: 0 });
const summary = (s: DaemonStore) => s.changesSince(0, 5000).changes.map((c) => `${c.sequence} ${c.operation} ${c.kind} ${c.path}`);

/** The rules no longer exclude anything marked (as the watcher tells after a rule is removed). */
const unignored = () => false;

describe('DaemonStore', () => {
  it('creates the schema with a random log_id that survives a reopen', () => {
    const p = dbPath();
    const first = open(p);
    expect(first.logId).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(first.db.pragma('user_version', { simple: true }))).toBe(loadMigrations().length);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const id = first.logId;
    first.close();
    expect(open(p).logId).toBe(id);
    expect(open(dbPath()).logId).not.toBe(id);
  });

  it('marks an ignored path and what is live below it without a log entry; present again, it is logged as new', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('data'), fileIn('data/a'), dirIn('data/sub'), fileIn('data/sub/b'), fileIn('data/gone'), fileIn('database')]);
    s.recordChanges([del('data/gone')]);
    const before = s.lastSequence();
    const result = s.applyChanges([ignoredInput('d', 'data', 'dir')]);
    expect(result).toMatchObject({ recorded: [], untracked: 4, highestSequence: before });
    expect(s.getFile('d', 'data')).toMatchObject({ deleted: false, ignored: true });
    expect(s.getFile('d', 'data/sub/b')).toMatchObject({ deleted: false, ignored: true, checksum: A });
    expect(s.getFile('d', 'data/gone')?.deleted).toBe(true); // a tombstone stays for compaction to drop
    expect(s.getFile('d', 'database')).toMatchObject({ deleted: false }); // a sibling that only shares the prefix
    expect(s.getFile('d', 'database')?.ignored).toBeUndefined();
    expect(s.applyChanges([ignoredInput('d', 'data', 'dir')]).untracked).toBe(0); // marked once
    // The same content as recorded: logged all the same, a client may hold an older copy.
    s.applyChanges([dirIn('data'), fileIn('data/a')], Date.now(), unignored);
    expect(summary(s).slice(-2)).toEqual([`${before + 1} add dir data`, `${before + 2} add file data/a`]);
    expect(s.getFile('d', 'data/a')?.ignored).toBeUndefined();
  });

  it("logs the deletion of an ignored path E removed, once it is looked at unignored, naming the content clients last received", () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('notes.log', A)]);
    s.applyChanges([ignoredInput('d', 'notes.log', 'file')]);
    s.applyChanges([del('notes.log')], Date.now(), unignored);
    expect(s.changesSince(0, 10).changes.at(-1)).toMatchObject({ operation: 'delete', path: 'notes.log', deleted_checksum: A });
    expect(s.getFile('d', 'notes.log')).toMatchObject({ deleted: true });
  });

  it('leaves a row the rules still ignore as it is, logging nothing, when zync-apply (no rules given) writes or deletes there', () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('a.log', A), fileIn('b.log', A)]);
    s.applyChanges([ignoredInput('d', 'a.log', 'file'), ignoredInput('d', 'b.log', 'file')]);
    const before = s.lastSequence();
    s.applyChanges([fileIn('a.log', B), del('b.log')]);
    s.applyChanges([fileIn('a.log', B)], Date.now(), () => true); // the watcher, its rules unchanged
    expect(s.lastSequence()).toBe(before);
    expect(s.getFile('d', 'a.log')).toMatchObject({ deleted: false, ignored: true, checksum: A });
    expect(s.getFile('d', 'b.log')).toMatchObject({ deleted: false, ignored: true, checksum: A });
  });

  it('leaves the ignored rows below a deleted directory unlogged and marked', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('a'), fileIn('a/x.log'), fileIn('a/y')]);
    s.applyChanges([ignoredInput('d', 'a/x.log', 'file')]);
    const before = s.lastSequence();
    s.recordChanges([{ ...del('a'), kind: 'dir' }]);
    expect(summary(s).filter((line) => Number(line.split(' ')[0]) > before)).toEqual([`${before + 1} delete file a/y`, `${before + 2} delete dir a`]);
    expect(s.getFile('d', 'a/x.log')).toMatchObject({ deleted: false, ignored: true });
  });

  it('deletes with a directory the rows below it the rules no longer ignore, deepest first, and keeps those they still do', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('build'), fileIn('build/out'), fileIn('build/run.log')]);
    s.applyChanges([ignoredInput('d', 'build', 'dir')]);
    const before = s.lastSequence();
    // `build/` was removed from the rules, `*.log` stays; E removed the directory meanwhile.
    s.applyChanges([{ ...del('build'), kind: 'dir' }], Date.now(), (_, p) => p.endsWith('.log'));
    expect(summary(s).filter((line) => Number(line.split(' ')[0]) > before)).toEqual([`${before + 1} delete file build/out`, `${before + 2} delete dir build`]);
    expect(s.getFile('d', 'build/run.log')).toMatchObject({ deleted: false, ignored: true });
  });

  it('counts ignored rows (the rules, not the marks, decide: liveCountUnignored) but does not serve their entries, and compaction drops them', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('data'), fileIn('data/a'), fileIn('keep')]);
    expect(s.liveCount('d')).toBe(3);
    s.applyChanges([ignoredInput('d', 'data', 'dir')]);
    expect(s.liveCount('d')).toBe(3);
    expect(s.liveCountAt('d', 'data')).toBe(2);
    expect(s.liveCountAt('d', 'keep')).toBe(1);
    expect(summary(s)).toEqual(['3 add file keep']);
    const page = s.changesSince(0, 1);
    expect(page).toMatchObject({ to_sequence: 3, more_available: false }); // the range still says what it covers
    expect(s.compactStep(0, 3, 100, 0)).toMatchObject({ dropped: 2, tombstones: 0 });
    expect(s.changeCount()).toBe(1);
    expect(s.getFile('d', 'data/a')).toMatchObject({ ignored: true, checksum: A });
  });

  it('records adds and modifies, and nothing for a save that kept the content', () => {
    const s = open(dbPath());
    expect(s.recordChanges([fileIn('a')])).toBe(1);
    expect(s.recordChanges([fileIn('a', A, { mtime: 2000, ino: 9 })])).toBe(1);
    expect(s.getFile('d', 'a')).toMatchObject({ mtime: 2000, ino: 9, sequence: 1 });
    expect(s.recordChanges([fileIn('a', B)])).toBe(2);
    expect(s.recordChanges([fileIn('a', B, { mode: 0o755 })])).toBe(3);
    expect(summary(s)).toEqual(['1 add file a', '2 modify file a', '3 modify file a']);
  });

  it('finds the live files recorded with one inode (hard links), not deleted ones or directories', () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('a', A, { ino: 42 }), fileIn('b', A, { ino: 42 }), fileIn('gone', A, { ino: 42 }), fileIn('other', A, { ino: 43 }), dirIn('dir', { ino: 42 })]);
    s.recordChanges([del('gone')]);
    expect(s.liveFilesWithInode(42).map((f) => `${f.base_dir}/${f.path}`).sort()).toEqual(['d/a', 'd/b']);
  });

  it('names the content a file deletion removed (deleted_checksum), and nothing for a directory', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('p'), fileIn('p/f', A), fileIn('g', A)]);
    s.recordChanges([fileIn('g', B)]);
    s.recordChanges([del('g')]);
    s.recordChanges([{ ...dirIn('p'), operation: 'delete' }]);
    const deletions = s.changesSince(4, 10).changes;
    expect(deletions).toEqual([
      expect.objectContaining({ operation: 'delete', kind: 'file', path: 'g', checksum: null, deleted_checksum: B }),
      expect.objectContaining({ operation: 'delete', kind: 'file', path: 'p/f', checksum: null, deleted_checksum: A }),
      expect.objectContaining({ operation: 'delete', kind: 'dir', path: 'p', checksum: null }),
    ]);
    expect(deletions[2]).not.toHaveProperty('deleted_checksum');
    // Adds and modifies never carry the field (no null on the wire).
    expect(s.changesSince(0, 4).changes.every((c) => !('deleted_checksum' in c))).toBe(true);
  });

  it('logs a directory mode change as a modify of kind dir, and not an entry made in it', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('p'), fileIn('p/f')]);
    expect(s.recordChanges([dirIn('p', { mtime: 2000 })])).toBe(2);
    expect(s.recordChanges([dirIn('p', { mode: 0o700 })])).toBe(3);
    expect(s.changesSince(2, 10).changes).toMatchObject([{ sequence: 3, operation: 'modify', kind: 'dir', path: 'p', checksum: null, size: 0, mode: 0o700 }]);
    expect(s.getFile('d', 'p')).toMatchObject({ mode: 0o700, sequence: 3 });
    expect(s.getFile('d', 'p/f')?.deleted).toBe(false);
  });

  it('logs an unchanged directory again when asked to (relog), keeping what is below it', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('p'), fileIn('p/f')]);
    expect(s.recordChanges([dirIn('p')])).toBe(2);
    expect(s.recordChanges([dirIn('p', { mtime: 2000, relog: true })])).toBe(3);
    expect(s.changesSince(2, 10).changes).toMatchObject([{ sequence: 3, operation: 'add', kind: 'dir', path: 'p', mode: 0o755 }]);
    expect(s.getFile('d', 'p')).toMatchObject({ mtime: 2000, sequence: 3, deleted: false });
    expect(s.getFile('d', 'p/f')).toMatchObject({ sequence: 2, deleted: false });
  });

  it('deletes a directory with everything below it, deepest first', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('t'), dirIn('t/u'), fileIn('t/u/f'), fileIn('t/g'), fileIn('tx')]);
    s.recordChanges([del('t')]);
    expect(summary(s).slice(5)).toEqual(['6 delete file t/u/f', '7 delete dir t/u', '8 delete file t/g', '9 delete dir t']);
    expect(s.getFile('d', 'tx')?.deleted).toBe(false);
    expect(s.getFile('d', 't/u/f')).toMatchObject({ deleted: true, checksum: null, sequence: 6 });
    // Deleting what is already gone logs nothing.
    expect(s.recordChanges([del('t'), del('t/u/f'), del('never')])).toBe(9);
  });

  it('logs a kind change as a delete of the old kind, then an add', () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('x'), dirIn('y'), fileIn('y/in')]);
    s.recordChanges([dirIn('x'), fileIn('y')]);
    expect(summary(s).slice(3)).toEqual(['4 delete file x', '5 add dir x', '6 delete file y/in', '7 delete dir y', '8 add file y']);
  });

  it('never reuses a sequence, even when the newest rows are removed', () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('a'), fileIn('b')]);
    s.db.exec('DELETE FROM changes WHERE sequence = 2');
    expect(s.lastSequence()).toBe(2);
    expect(s.recordChanges([fileIn('c')])).toBe(3);
  });

  it('pages the log with the range each page covers', () => {
    const s = open(dbPath());
    s.recordChanges(Array.from({ length: 5 }, (_, i) => fileIn(`f${i}`)));
    expect(s.changesSince(0, 2)).toMatchObject({ from_sequence: 0, to_sequence: 2, more_available: true, highest_sequence: 5 });
    expect(s.changesSince(4, 2)).toMatchObject({ from_sequence: 4, to_sequence: 5, more_available: false });
    expect(s.changesSince(5, 2)).toMatchObject({ changes: [], from_sequence: 5, to_sequence: 5, more_available: false });
    s.db.exec('DELETE FROM changes WHERE sequence = 5');
    // The tail was compacted away: the page still covers up to the highest sequence.
    expect(s.changesSince(4, 2)).toMatchObject({ changes: [], to_sequence: 5, more_available: false });
  });

  it("pages only each path's current entry when asked, still covering the whole range", () => {
    const s = open(dbPath());
    s.recordChanges([fileIn('a'), fileIn('b'), fileIn('c')]); // 1-3
    s.recordChanges([fileIn('a', B, { operation: 'modify' })]); // 4
    s.recordChanges([del('b')]); // 5
    s.recordChanges([fileIn('ignored.log')]); // 6
    s.recordChanges([fileIn('a', A, { operation: 'modify' })]); // 7
    s.applyChanges([ignoredInput('d', 'ignored.log', 'file')]);
    const current = (since: number, limit: number) => s.changesSince(since, limit, undefined, true);
    const lines = (since: number, limit: number) => current(since, limit).changes.map((c) => `${c.sequence} ${c.operation} ${c.path}`);
    // a's v1 and v2 (1, 4) and b's add (2) are superseded; the ignored file is not served.
    expect(lines(0, 10)).toEqual(['3 add c', '5 delete b', '7 modify a']);
    expect(current(0, 10)).toMatchObject({ from_sequence: 0, to_sequence: 7, more_available: false, highest_sequence: 7 });
    // A full page ends at its last entry, with what it skipped before that inside its range.
    expect(current(0, 2)).toMatchObject({ from_sequence: 0, to_sequence: 5, more_available: true });
    expect(lines(5, 2)).toEqual(['7 modify a']);
    // Without the flag, the history as it was.
    expect(s.changesSince(0, 10).changes.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5, 7]);
  });

  it('cuts a page by size, so long paths never make a frame too large', () => {
    const s = open(dbPath());
    const long = 'x'.repeat(4000);
    s.recordChanges(Array.from({ length: 10 }, (_, i) => fileIn(`${long}${i}`)));
    const page = s.changesSince(0, 5000, 3 * 4300);
    expect(page).toMatchObject({ from_sequence: 0, to_sequence: 3, more_available: true, highest_sequence: 10 });
    expect(page.changes).toHaveLength(3);
    expect(s.changesSince(9, 5000, 10)).toMatchObject({ to_sequence: 10, more_available: false });
    expect(s.changesSince(9, 5000, 10).changes).toHaveLength(1);
  });

  it('two connections (as the daemon and zync-apply) share sequences and never double-log', () => {
    const p = dbPath();
    const daemon = open(p);
    const apply = open(p);
    const version = daemon.dataVersion();
    apply.recordChanges([fileIn('applied', B)]);
    expect(daemon.dataVersion()).not.toBe(version);
    expect(daemon.recordChanges([fileIn('applied', B, { ino: 77 })])).toBe(1);
    expect(daemon.recordChanges([fileIn('other')])).toBe(2);
    expect(apply.lastSequence()).toBe(2);
  });

  it('lists the live entries directly inside a directory', () => {
    const s = open(dbPath());
    s.recordChanges([dirIn('a'), fileIn('a/x'), dirIn('a/b'), fileIn('a/b/y'), dirIn('a😀'), fileIn('a😀/z'), fileIn('top'), fileIn('a/gone')]);
    s.recordChanges([del('a/gone')]);
    const kinds = (dir: string) => new Map([...s.liveChildren('d', dir)].map(([name, r]) => [name, r.kind]));
    expect(kinds('')).toEqual(new Map([['a', 'dir'], ['a😀', 'dir'], ['top', 'file']]));
    expect(kinds('a')).toEqual(new Map([['x', 'file'], ['b', 'dir']]));
    expect(kinds('a😀')).toEqual(new Map([['z', 'file']]));
    expect(kinds('a/b')).toEqual(new Map([['y', 'file']]));
    expect(s.liveChildren('d', 'a').get('x')).toMatchObject({ path: 'a/x', kind: 'file', deleted: false });
  });

  it('keeps client acknowledgements per client id', () => {
    const s = open(dbPath());
    expect(s.helloClient('r1')).toBe(0);
    s.ackClient('r1', 7);
    expect(s.helloClient('r1')).toBe(7);
    expect(s.helloClient('r2')).toBe(0);
  });

  it('stores the dir mapping', () => {
    const s = open(dbPath());
    expect(s.dirs).toEqual([]);
    s.setDirs([{ name: 'docs', root: '/srv/docs' }]);
    expect(s.dirs).toEqual([{ name: 'docs', root: '/srv/docs' }]);
  });

  it('refuses a file that is not a database with one sentence', () => {
    const p = dbPath();
    writeFileSync(p, 'this is not sqlite, just some text that is long enough to have a header'.repeat(20));
    expect(() => DaemonStore.open(p)).toThrow(/Cannot open database .*sync\.db: file is not a database\./);
  });

  describe('runs of the log (014-log-runs.sql)', () => {
    /** The database files as they are, the store closed (a backup taken with the daemon stopped). */
    const copyDb = (from: string, to: string) => {
      for (const suffix of ['', '-wal', '-shm']) {
        rmSync(`${to}${suffix}`, { force: true });
        if (existsSync(`${from}${suffix}`)) copyFileSync(`${from}${suffix}`, `${to}${suffix}`);
      }
    };

    it("notes each process's run with its first entry; a restored copy's next entry starts a run where the copy ends", () => {
      const p = dbPath();
      const backup = `${p}.backup`;
      const first = open(p);
      first.recordChanges([fileIn('a'), fileIn('b')]);
      expect([first.runOf(0), first.runOf(1), first.runOf(2)]).toEqual([null, first.runId, first.runId]);
      expect(first.changesSince(0, 1).run_id).toBe(first.runId); // the run of the page's end
      first.close();
      copyDb(p, backup);

      const idle = open(p); // logs nothing: notes no run
      idle.close();
      const second = open(p);
      second.recordChanges([fileIn('c')]);
      second.recordChanges([fileIn('d')]);
      expect([second.runOf(2), second.runOf(3), second.runOf(4), second.runOf(9)]).toEqual([first.runId, second.runId, second.runId, null]);
      expect(second.changesSince(2, 10).run_id).toBe(second.runId);
      second.close();

      copyDb(backup, p);
      const restored = open(p);
      // Nothing logged yet: the copy's own log ends at 2, so no run of its logged 3 or 4.
      expect([restored.runOf(2), restored.runOf(3), restored.runOf(4)]).toEqual([first.runId, null, null]);
      restored.recordChanges([fileIn('e'), fileIn('f'), fileIn('g')]);
      expect(restored.lastSequence()).toBe(5);
      expect([restored.runOf(2), restored.runOf(3), restored.runOf(4)]).toEqual([first.runId, restored.runId, restored.runId]);
    });

    it('tells the same run of a sequence to every process, whichever logged it', () => {
      const p = dbPath();
      const daemon = open(p);
      daemon.recordChanges([fileIn('a')]);
      const apply = open(p);
      apply.recordChanges([fileIn('b')]);
      daemon.recordChanges([fileIn('c')]);
      expect([daemon.runOf(1), daemon.runOf(2), daemon.runOf(3)]).toEqual([daemon.runId, apply.runId, apply.runId]);
      expect([apply.runOf(1), apply.runOf(3)]).toEqual([daemon.runId, apply.runId]);
    });

    it('counts a log logged before runs were noted as one run from 0, and an empty one as none', () => {
      const older = (logged: boolean): string => {
        const p = dbPath();
        const db = new Database(p);
        migrate(db, p, loadMigrations().slice(0, 13));
        if (logged) {
          db.prepare("INSERT INTO changes (timestamp, operation, kind, base_dir, path) VALUES (1, 'add', 'file', 'd', 'a')").run();
        }
        db.close();
        return p;
      };
      const olderPath = older(true);
      const copy = `${olderPath}.copy`;
      copyDb(olderPath, copy);
      const withLog = open(olderPath);
      const before = withLog.runOf(1);
      expect(before).toMatch(/^legacy-[0-9a-f]{32}$/);
      expect(before).not.toBe(withLog.runId);
      // The same older copy migrated again (restored after the upgrade) names that run alike, so a
      // client whose position it holds does not resync for nothing.
      const again = open(copy);
      expect(again.runOf(1)).toBe(before);
      again.close();
      withLog.recordChanges([fileIn('b')]);
      expect([withLog.runOf(1), withLog.runOf(2)]).toEqual([before, withLog.runId]);
      const empty = open(older(false));
      empty.recordChanges([fileIn('a')]);
      expect(empty.runOf(1)).toBe(empty.runId);
    });
  });
});
