// The staged-records table on a real SQLite file: what one session holds is read back for its
// log only, and a table made before permission bits were kept gains the column without losing rows.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fileKey, type StagedRecord } from './plan-upstream.js';
import { StagedRecords } from './staged-records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-staged-'));
  dirs.push(dir);
  return path.join(dir, 'sync_client.db');
}
const record = (p: string, over: Partial<StagedRecord> = {}): StagedRecord => ({
  base_dir: 'docs',
  path: p,
  staging_id: 'S1',
  kind: 'file',
  operation: 'modify',
  checksum: 'b'.repeat(64),
  base_checksum: 'a'.repeat(64),
  mode: 0o755,
  base_mode: null,
  ...over,
});
const scanned = { baseDirs: new Set(['docs']), stillPending: new Set([fileKey('docs', 'tool.sh'), fileKey('docs', 'gone.txt')]) };

describe('StagedRecords', () => {
  it('waits for another writer (up to the busy timeout) to record a session E finalized, not failing at once', async () => {
    const file = dbFile();
    StagedRecords.open(file).close();
    // Another process holds the write lock for 400 ms (a second client's pull committing, say).
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const holder = spawn(process.execPath, [
      '-e',
      `const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(file)}); db.exec('BEGIN IMMEDIATE'); console.log('locked');` +
        `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400); db.exec('COMMIT'); db.close();`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const records = StagedRecords.open(file);
    expect(() => records.update('log-1', [record('tool.sh')], scanned, 1)).not.toThrow();
    expect([...records.load('log-1').keys()]).toEqual([fileKey('docs', 'tool.sh')]);
    records.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  });

  it('refuses a file that is not a database in one sentence (BAD_ARGUMENT, exit 2)', () => {
    const file = dbFile();
    writeFileSync(file, 'garbage\n'.repeat(200));
    expect(() => StagedRecords.open(file)).toThrow(new RegExp(`^Cannot open database ${file}: file is not a database\\.$`));
    expect(() => StagedRecords.open(file)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });

  it('reads back what a session holds, permission bits included, for its own log only', () => {
    const file = dbFile();
    const records = StagedRecords.open(file);
    const staged = [record('tool.sh'), record('gone.txt', { operation: 'delete', checksum: null, mode: null })];
    records.update('log-1', staged, scanned, 1);
    expect(records.load('log-1')).toEqual(new Map(staged.map((r) => [fileKey(r.base_dir, r.path), r])));
    expect(records.load('log-2').size).toBe(0);
    records.close();
  });

  it('looks up what was staged at the paths a pull asks about, for its own log only', () => {
    const records = StagedRecords.open(dbFile());
    const staged = [record('tool.sh'), record('gone.txt', { operation: 'delete', checksum: null, mode: null })];
    records.update('log-1', staged, scanned, 1);
    const keys = [{ base_dir: 'docs', path: 'tool.sh' }, { base_dir: 'docs', path: 'other.txt' }, { base_dir: 'code', path: 'gone.txt' }];
    expect(records.lookup('log-1', keys)).toEqual(new Map([[fileKey('docs', 'tool.sh'), [staged[0]]]]));
    expect(records.lookup('log-2', keys).size).toBe(0);
    records.close();
  });

  it('looks up each session R sent a path in, oldest first, until the path\'s record is forgotten', () => {
    const records = StagedRecords.open(dbFile());
    const [first, second, gone] = ['1', '2', null].map((c, i) =>
      record('tool.sh', { staging_id: `S${i + 1}`, checksum: c === null ? null : c.repeat(64), operation: c === null ? 'delete' : 'modify', mode: c === null ? null : 0o700 + i }),
    );
    const tool = [{ base_dir: 'docs', path: 'tool.sh' }];
    const sessions = () => records.lookup('log-1', tool).get(fileKey('docs', 'tool.sh'))?.map((r) => r.staging_id);
    records.update('log-1', [first!], scanned, 1);
    records.update('log-1', [second!], scanned, 2);
    records.update('log-1', [gone!], scanned, 3);
    expect(records.lookup('log-1', tool).get(fileKey('docs', 'tool.sh'))).toEqual([first, second, gone]);
    // E applied the first: its content came back, the newest record (a deletion) stays, and so does the history.
    records.forgetReturned('log-1', [{ base_dir: 'docs', path: 'tool.sh', checksum: '1'.repeat(64) }]);
    expect(sessions()).toEqual(['S1', 'S2', 'S3']);
    // Nothing pending at the path any more (R's next upstream found nothing to send): all of it goes.
    records.update('log-1', [], { baseDirs: new Set(['docs']), stillPending: new Set() }, 4);
    records.update('log-1', [record('tool.sh', { staging_id: 'S5' })], scanned, 5);
    expect(sessions()).toEqual(['S5']);
    // The newest content came back: the record and what was behind it are forgotten.
    records.update('log-1', [record('tool.sh', { staging_id: 'S6', checksum: '6'.repeat(64) })], scanned, 6);
    records.forgetReturned('log-1', [{ base_dir: 'docs', path: 'tool.sh', checksum: '6'.repeat(64) }]);
    expect(sessions()).toBeUndefined();
    records.update('log-1', [record('tool.sh', { staging_id: 'S7' })], scanned, 7);
    expect(sessions()).toEqual(['S7']);
    records.forgetBaseDir('docs');
    records.update('log-1', [record('tool.sh', { staging_id: 'S8' })], scanned, 8);
    expect(sessions()).toEqual(['S8']);
    records.close();
  });

  describe('trims the history of sessions that can no longer come back as R\'s own edit', () => {
    const tool = [{ base_dir: 'docs', path: 'tool.sh' }];
    /** tool.sh sent in S1..S4 with contents '1'..'4' (S4 the newest record), and notes.txt in S2 alone. */
    function fourSessions() {
      const records = StagedRecords.open(dbFile());
      for (const n of [1, 2, 3, 4]) {
        const staged = [record('tool.sh', { staging_id: `S${n}`, checksum: String(n).repeat(64) })];
        if (n === 2) staged.push(record('notes.txt', { staging_id: 'S2' }));
        records.update('log-1', staged, { baseDirs: new Set(['docs']), stillPending: new Set([fileKey('docs', 'tool.sh'), fileKey('docs', 'notes.txt')]) }, n);
      }
      const sessions = () => records.lookup('log-1', tool).get(fileKey('docs', 'tool.sh'))?.map((r) => r.staging_id);
      return { records, sessions };
    }

    it('those E discarded or aborted, behind the newest record (which staged-states.ts judges)', () => {
      const { records, sessions } = fourSessions();
      // notes.txt's newest is S2: not history.
      expect(records.olderSessions('log-1')).toEqual(['S1', 'S2', 'S3']);
      expect(records.olderSessions('log-2')).toEqual([]);
      records.forgetSessions(['S2', 'S3']);
      expect(sessions()).toEqual(['S1', 'S4']);
      expect(records.lookup('log-1', [{ base_dir: 'docs', path: 'notes.txt' }]).get(fileKey('docs', 'notes.txt'))?.map((r) => r.staging_id)).toEqual(['S2']);
      records.forgetSessions(['S4']);
      expect(sessions()).toEqual(['S1', 'S4']);
      records.close();
    });

    it('those before an older session a pulled page showed reaching E, not that one nor the later ones', () => {
      const { records, sessions } = fourSessions();
      // Another log's page, or content no session sent: nothing goes.
      records.forgetReturned('log-2', [{ base_dir: 'docs', path: 'tool.sh', checksum: '3'.repeat(64) }]);
      records.forgetReturned('log-1', [{ base_dir: 'docs', path: 'tool.sh', checksum: 'f'.repeat(64) }]);
      expect(sessions()).toEqual(['S1', 'S2', 'S3', 'S4']);
      // E applied S3 (S1 and S2 may still be applied after it: E's decision then, not R's edit returning).
      records.forgetReturned('log-1', [{ base_dir: 'docs', path: 'tool.sh', checksum: '3'.repeat(64) }]);
      expect(sessions()).toEqual(['S3', 'S4']);
      records.close();
    });

    it('only before the first session that sent the content E held, when R sent it more than once', () => {
      const records = StagedRecords.open(dbFile());
      const sessions = () => records.lookup('log-1', tool).get(fileKey('docs', 'tool.sh'))?.map((r) => r.staging_id);
      for (const [n, c] of [[1, '0'], [2, '1'], [3, '2'], [4, '1'], [5, '5']] as const) {
        records.update('log-1', [record('tool.sh', { staging_id: `S${n}`, checksum: c.repeat(64) })], scanned, n);
      }
      records.forgetReturned('log-1', [{ base_dir: 'docs', path: 'tool.sh', checksum: '1'.repeat(64) }]);
      expect(sessions()).toEqual(['S2', 'S3', 'S4', 'S5']);
      records.close();
    });

    it('all of a path a pulled page brought E\'s state for, once E applied its newest session (settled)', () => {
      const { records, sessions } = fourSessions();
      records.forgetSettled('log-2', [{ base_dir: 'docs', path: 'tool.sh', staging_id: 'S4' }]);
      expect(sessions()).toEqual(['S1', 'S2', 'S3', 'S4']);
      // An older one applied while S4 waits: S4 returning may build on what it sent.
      records.forgetSettled('log-1', [{ base_dir: 'docs', path: 'tool.sh', staging_id: 'S2' }]);
      expect(sessions()).toEqual(['S1', 'S2', 'S3', 'S4']);
      records.forgetSettled('log-1', [{ base_dir: 'docs', path: 'tool.sh', staging_id: 'S4' }]);
      expect(sessions()).toBeUndefined();
      // Another path's record of a settled session stays: the page brought nothing for it.
      expect(records.lookup('log-1', [{ base_dir: 'docs', path: 'notes.txt' }]).get(fileKey('docs', 'notes.txt'))?.map((r) => r.staging_id)).toEqual(['S2']);
      records.close();
    });
  });

  it('forgets what was staged in a base dir whose root went missing, and nothing of the others', () => {
    const records = StagedRecords.open(dbFile());
    const inCode = record('main.c', { base_dir: 'code' });
    records.update('log-1', [record('tool.sh'), record('gone.txt', { operation: 'delete', checksum: null, mode: null }), inCode], {
      baseDirs: new Set(['docs', 'code']),
      stillPending: new Set([fileKey('docs', 'tool.sh'), fileKey('docs', 'gone.txt'), fileKey('code', 'main.c')]),
    }, 1);
    records.forgetBaseDir('docs');
    expect(records.load('log-1')).toEqual(new Map([[fileKey('code', 'main.c'), inCode]]));
    records.close();
  });

  it('forgets the file contents a pulled page showed E holding, and nothing else', () => {
    const records = StagedRecords.open(dbFile());
    const sent = 'b'.repeat(64);
    const staged = [
      record('new.txt', { operation: 'add', base_checksum: null }),
      record('edited.txt'),
      record('gone.txt', { operation: 'delete', checksum: null, mode: null }),
      record('sub', { kind: 'dir', operation: 'add', checksum: null, base_checksum: null, mode: 0o755 }),
    ];
    records.update('log-1', staged, scanned, 1);
    records.forgetReturned('log-2', [{ base_dir: 'docs', path: 'new.txt', checksum: sent }]);
    expect(records.load('log-1').size).toBe(4);
    records.forgetReturned('log-1', [
      { base_dir: 'docs', path: 'new.txt', checksum: sent },
      { base_dir: 'docs', path: 'edited.txt', checksum: 'c'.repeat(64) },
      { base_dir: 'other', path: 'gone.txt', checksum: sent },
    ]);
    expect([...records.load('log-1').values()].map((r) => r.path).sort()).toEqual(['edited.txt', 'gone.txt', 'sub']);
    records.close();
  });

  it('forgets the directories a pulled page showed E making or removing, by what R staged there (a removal by E making one too)', () => {
    const records = StagedRecords.open(dbFile());
    const dir = (path: string, operation: 'add' | 'delete') => record(path, { kind: 'dir', operation, checksum: null, base_checksum: null, mode: operation === 'add' ? 0o755 : null });
    records.update('log-1', [dir('made', 'add'), dir('made/sub', 'add'), dir('gone', 'delete'), dir('kept', 'delete'), dir('back', 'delete')], scanned, 1);
    records.forgetReturned('log-1', [], [
      { base_dir: 'docs', path: 'made', removed: false },
      { base_dir: 'docs', path: 'made/sub', removed: true },
      { base_dir: 'docs', path: 'gone', removed: true },
      { base_dir: 'other', path: 'kept', removed: true },
      // E kept (and logged again) a directory R removed: E's state supersedes R's removal.
      { base_dir: 'docs', path: 'back', removed: false },
    ]);
    expect([...records.load('log-1').values()].map((r) => r.path).sort()).toEqual(['kept', 'made/sub']);
    records.close();
  });

  /** A database an older client made: upstream_staged with the first columns and `added`, holding one row of S0. */
  const olderDatabase = (added: readonly string[], values: readonly number[], more = ''): string => {
    const file = dbFile();
    const old = new Database(file);
    old.exec(`CREATE TABLE upstream_staged (
      base_dir TEXT NOT NULL, path TEXT NOT NULL, log_id TEXT NOT NULL, staging_id TEXT NOT NULL,
      kind TEXT NOT NULL, operation TEXT NOT NULL, checksum TEXT, base_checksum TEXT,
      staged_at INTEGER NOT NULL, ${added.map((c) => `${c} INTEGER, `).join('')}PRIMARY KEY (base_dir, path)) STRICT; ${more}`);
    old
      .prepare(`INSERT INTO upstream_staged VALUES ('docs', 'tool.sh', 'log-1', 'S0', 'file', 'modify', ?, ?, 1${', ?'.repeat(values.length)})`)
      .run('b'.repeat(64), 'a'.repeat(64), ...values);
    old.close();
    return file;
  };

  it('adds the mode column to a table made before it existed; old rows read null', () => {
    const file = olderDatabase([], []);

    const records = StagedRecords.open(file);
    expect(records.load('log-1').get(fileKey('docs', 'tool.sh'))).toEqual(record('tool.sh', { staging_id: 'S0', mode: null }));
    records.update('log-1', [record('tool.sh', { staging_id: 'S2' })], scanned, 2);
    expect(records.load('log-1').get(fileKey('docs', 'tool.sh'))).toEqual(record('tool.sh', { staging_id: 'S2' }));
    records.close();
    // Opening again finds the column and leaves it be.
    StagedRecords.open(file).close();
  });

  it('keeps the bits R had received with each session, and adds the column to tables made before it', () => {
    const file = olderDatabase(
      ['mode'],
      [0o755],
      `CREATE TABLE upstream_staged_sessions (base_dir TEXT NOT NULL, path TEXT NOT NULL, staging_id TEXT NOT NULL,
         kind TEXT NOT NULL, operation TEXT NOT NULL, checksum TEXT, base_checksum TEXT, mode INTEGER,
         UNIQUE (base_dir, path, staging_id)) STRICT`,
    );

    const records = StagedRecords.open(file);
    expect(records.load('log-1').get(fileKey('docs', 'tool.sh'))).toEqual(record('tool.sh', { staging_id: 'S0', base_mode: null }));
    records.update('log-1', [record('tool.sh', { staging_id: 'S2', base_mode: 0o644 })], scanned, 2);
    records.update('log-1', [record('tool.sh', { staging_id: 'S3', mode: 0o644, base_mode: 0o644 })], scanned, 3);
    expect(records.lookup('log-1', [{ base_dir: 'docs', path: 'tool.sh' }]).get(fileKey('docs', 'tool.sh'))?.map((r) => [r.staging_id, r.mode, r.base_mode])).toEqual([
      ['S2', 0o755, 0o644],
      ['S3', 0o644, 0o644],
    ]);
    records.close();
  });
});
