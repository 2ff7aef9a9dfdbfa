// The daemon's SQLite store: the change log, the current state per path, client cursors and
// meta facts (log_id, dir mapping). better-sqlite3 in WAL mode with a busy timeout, so zync-apply
// (another process) can record changes into the same database while the daemon runs.
// Sequences are allocated only inside IMMEDIATE transactions, and what a batch means is decided
// inside the transaction against the rows as they are then (classifyChange), so two recorders
// never log the same content twice. Compaction steps are decided the same way (planCompaction).
// Each process notes its run of the log with its first entry (014-log-runs.sql), so a client can
// tell a sequence logged again by a database restored from an older copy.
// Owns the SQL of 001-change-log.sql; decides nothing else.
import { randomBytes } from 'node:crypto';
import * as nodePath from 'node:path';
import Database from 'better-sqlite3';
import { checkDatabaseKind, isSqliteFullDisk, makePrivateDatabaseFile, ZyncError, type ChangeEntry, type DirSpec, type EntryKind } from '@zync/common';
import { classifyChange, orderChanges, type ChangeInput, type FileRecord, type ObservedEntry } from '../core/entries.js';
import { planCompaction, type CompactionCandidate } from '../core/plan-compaction.js';
import { isDiskFull } from '../core/state-disk-full.js';
import { databaseFacts, loadMigrations, migrate } from './migrations.js';

interface FileRow {
  base_dir: string;
  path: string;
  kind: EntryKind;
  checksum: string | null;
  size: number;
  mtime: number;
  mode: number;
  ino: number;
  ctime: number;
  deleted: number;
  sequence: number;
  ignored: number;
}

type ChangeRow = Omit<ChangeEntry, 'deleted_checksum'> & { deleted_checksum?: string | null };

export interface RecordResult {
  /** The highest sequence in the log after the transaction. */
  highestSequence: number;
  /** The entries this call added to the log, in sequence order. */
  recorded: ChangeEntry[];
  /** Live rows marked ignored because the ignore rules now exclude them (ChangeInput.ignored). */
  untracked: number;
}

/** Whether a root's ignore rules exclude a path now. */
export type StillIgnored = (base_dir: string, path: string, isDir: boolean) => boolean;

export interface CompactionStep {
  /** The highest sequence looked at; the next step starts after it. */
  next: number;
  /** No entries are left between `next` and the step's upper bound. */
  done: boolean;
  dropped: number;
  tombstones: number;
  compactedThrough: number;
}

export interface DatabaseSpace {
  pageSize: number;
  pages: number;
  freePages: number;
  /** 0 none, 1 full, 2 incremental (PRAGMA auto_vacuum). */
  autoVacuum: number;
}

export interface ChangesPage {
  changes: ChangeEntry[];
  from_sequence: number;
  to_sequence: number;
  more_available: boolean;
  highest_sequence: number;
  /** The run that logged to_sequence (absent for an empty log). */
  run_id?: string;
}

/** Rough JSON size of a GET_CHANGES page; well below MAX_FRAME_BYTES (8 MiB). */
const PAGE_BYTES = 4 * 1024 * 1024;
/** JSON of one entry without its path and base_dir (field names, checksum, numbers). */
const ENTRY_OVERHEAD_BYTES = 256;

const toRecord = (row: FileRow): FileRecord => ({
  base_dir: row.base_dir,
  path: row.path,
  kind: row.kind,
  checksum: row.checksum,
  size: row.size,
  mtime: row.mtime,
  mode: row.mode,
  ino: row.ino,
  ctime: row.ctime,
  deleted: row.deleted === 1,
  sequence: row.sequence,
  ...(row.ignored === 1 ? { ignored: true } : {}),
});

export class DaemonStore {
  readonly db: Database.Database;
  readonly path: string;
  /** Random id made when the database was created; a new one means "the log was recreated". */
  readonly logId: string;
  /** This process's run of the log (014-log-runs.sql), noted with the first entry it logs. */
  readonly runId: string = randomBytes(16).toString('hex');
  /** The run is noted in the write transaction under way (reset at each applyChanges). */
  private runNoted = false;

  private readonly stmt;

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.stmt = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      lastSequence: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'changes'"),
      getFile: db.prepare<[string, string], FileRow>('SELECT * FROM files WHERE base_dir = ? AND path = ?'),
      liveUnder: db.prepare<[string, string, string], FileRow>(
        'SELECT * FROM files WHERE base_dir = ? AND path > ? AND path < ? AND deleted = 0 ORDER BY path DESC',
      ),
      // INDEXED BY: a planner falling back to the primary key would read a subtree per directory.
      liveChildren: db.prepare<[string, string], FileRow>(
        `SELECT * FROM files INDEXED BY files_live_by_parent
           WHERE base_dir = ? AND rtrim(path, replace(path, '/', '')) = ? AND deleted = 0`,
      ),
      // Rows marked ignored count: which are ignored is the rules' say now (liveCountUnignored), and
      // rules read from an unmounted disk's empty mount point are none.
      liveCount: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM files WHERE base_dir = ? AND deleted = 0'),
      liveCountAt: db.prepare<[string, string, string, string], { n: number }>(
        'SELECT count(*) AS n FROM files WHERE base_dir = ? AND (path = ? OR (path > ? AND path < ?)) AND deleted = 0',
      ),
      ignoredAfter: db.prepare<[string, string, number], FileRow>(
        'SELECT * FROM files INDEXED BY files_ignored WHERE base_dir = ? AND ignored = 1 AND path > ? ORDER BY path LIMIT ?',
      ),
      liveFilesWithInode: db.prepare<[number], { base_dir: string; path: string }>(
        "SELECT base_dir, path FROM files WHERE ino = ? AND deleted = 0 AND kind = 'file'",
      ),
      liveFilesWithChecksum: db.prepare<[string, number, number], { base_dir: string; path: string }>(
        "SELECT base_dir, path FROM files WHERE checksum = ? AND size = ? AND deleted = 0 AND kind = 'file' AND ignored = 0 LIMIT ?",
      ),
      insertChange: db.prepare<[number, string, string, string, string, string | null, number, number, number, string | null]>(
        'INSERT INTO changes (timestamp, operation, kind, base_dir, path, checksum, size, mtime, mode, deleted_checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertFile: db.prepare<[string, string, string, string | null, number, number, number, number, number, number]>(
        `INSERT INTO files (base_dir, path, kind, checksum, size, mtime, mode, ino, ctime, deleted, sequence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
         ON CONFLICT(base_dir, path) DO UPDATE SET kind = excluded.kind, checksum = excluded.checksum,
           size = excluded.size, mtime = excluded.mtime, mode = excluded.mode, ino = excluded.ino,
           ctime = excluded.ctime, deleted = 0, sequence = excluded.sequence, ignored = 0`,
      ),
      tombstone: db.prepare<[number, string, string]>(
        'UPDATE files SET deleted = 1, checksum = NULL, size = 0, sequence = ?, ignored = 0 WHERE base_dir = ? AND path = ?',
      ),
      // Live rows only: a tombstone below keeps its delete entry's compaction as it was.
      markIgnored: db.prepare<[string, string, string, string]>(
        'UPDATE files SET ignored = 1 WHERE base_dir = ? AND (path = ? OR (path > ? AND path < ?)) AND deleted = 0 AND ignored = 0',
      ),
      touchFile: db.prepare<[number, number, number, number, number, string, string]>(
        'UPDATE files SET size = ?, mtime = ?, mode = ?, ino = ?, ctime = ? WHERE base_dir = ? AND path = ?',
      ),
      // Not the entries of a path recorded as ignored: no client is sent what E no longer syncs.
      changesSince: db.prepare<[number, number], ChangeRow>(
        `SELECT sequence, operation, kind, base_dir, path, checksum, size, mtime, mode, timestamp, deleted_checksum
         FROM changes c WHERE sequence > ? AND NOT EXISTS (
           SELECT 1 FROM files f INDEXED BY files_ignored WHERE f.ignored = 1 AND f.base_dir = c.base_dir AND f.path = c.path)
         ORDER BY sequence LIMIT ?`,
      ),
      // Each path's current entry only (its files row names it): what a fully compacted log
      // holds. One primary-key lookup per entry read, as changesSince's ignored check is one.
      currentChangesSince: db.prepare<[number, number], ChangeRow>(
        `SELECT sequence, operation, kind, base_dir, path, checksum, size, mtime, mode, timestamp, deleted_checksum
         FROM changes c WHERE sequence > ? AND EXISTS (
           SELECT 1 FROM files f WHERE f.base_dir = c.base_dir AND f.path = c.path AND f.sequence = c.sequence AND f.ignored = 0)
         ORDER BY sequence LIMIT ?`,
      ),
      helloClient: db.prepare<[string, number]>(
        'INSERT INTO clients (client_id, last_ack, last_seen) VALUES (?, 0, ?) ON CONFLICT(client_id) DO UPDATE SET last_seen = excluded.last_seen',
      ),
      ackClient: db.prepare<[string, number, number]>(
        'INSERT INTO clients (client_id, last_ack, last_seen) VALUES (?, ?, ?) ON CONFLICT(client_id) DO UPDATE SET last_ack = excluded.last_ack, last_seen = excluded.last_seen',
      ),
      getClient: db.prepare<[string], { last_ack: number }>('SELECT last_ack FROM clients WHERE client_id = ?'),
      compactionCandidates: db.prepare<[number, number, number], CompactionCandidate & { base_dir: string; path: string }>(
        // An ignored row supersedes its entries as a missing one does (they are not served).
        `SELECT c.sequence, c.operation, c.timestamp, c.base_dir, c.path, CASE WHEN f.ignored = 1 THEN NULL ELSE f.sequence END AS latest
         FROM changes c LEFT JOIN files f ON f.base_dir = c.base_dir AND f.path = c.path
         WHERE c.sequence > ? AND c.sequence <= ? ORDER BY c.sequence LIMIT ?`,
      ),
      // INSERT OR IGNORE: noted once per process; a transaction rolled back takes its note with it.
      noteRun: db.prepare<[string, number, number]>('INSERT OR IGNORE INTO log_runs (run_id, started_after, started_at) VALUES (?, ?, ?)'),
      // The latest started wins a tie (none arises: a run is noted with the entry after its start).
      runOf: db.prepare<[number], { run_id: string }>('SELECT run_id FROM log_runs WHERE started_after < ? ORDER BY started_after DESC, rowid DESC LIMIT 1'),
      dropChange: db.prepare<[number]>('DELETE FROM changes WHERE sequence = ?'),
      dropTombstone: db.prepare<[string, string, number]>('DELETE FROM files WHERE base_dir = ? AND path = ? AND deleted = 1 AND sequence = ?'),
    };
    this.logId = this.meta('log_id') ?? '';
    if (!this.logId) throw new ZyncError('BAD_ARGUMENT', `Database ${path} has no log_id; it is not a zync daemon database.`);
  }

  /** Opens (creating and migrating if needed) the database at dbPath. */
  static open(dbPath: string): DaemonStore {
    let db: Database.Database | undefined;
    try {
      makePrivateDatabaseFile(dbPath);
      db = new Database(dbPath);
      // Before anything is written: a --db that is not the daemon's is refused, not migrated.
      const migrations = loadMigrations();
      checkDatabaseKind(dbPath, databaseFacts(db), { program: 'zync-daemon', latest: migrations.length, table: 'changes', advice: "pass --db with the daemon's database" });
      // Before anything is written: a new database reclaims the space compaction frees in steps
      // (PRAGMA incremental_vacuum). On an existing database it takes effect at the next VACUUM.
      // Set only where it is not yet: setting it writes, and a restart on a full state disk must
      // not fail for that (2: incremental).
      if (Number(db.pragma('auto_vacuum', { simple: true })) !== 2) db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      // FULL: a sequence a client has seen must never be handed out again after a power cut.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, dbPath, migrations);
      return new DaemonStore(db, dbPath);
    } catch (err) {
      db?.close();
      if (err instanceof ZyncError) throw err;
      // No bad argument: the caller names the disk to free (stateDiskFullError, applyDiskFullError).
      // A disk with no room even for the WAL index (DB-shm) fails the open with an I/O error.
      if (isDiskFull(err) || isSqliteFullDisk(err, nodePath.dirname(dbPath))) throw new ZyncError('DISK_FULL', `Cannot open database ${dbPath}: the disk is full.`, { cause: err });
      throw new ZyncError('BAD_ARGUMENT', `Cannot open database ${dbPath}: ${(err as Error).message}.`, { cause: err });
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  meta(key: string): string | undefined {
    return this.stmt.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  /** The dir mapping recorded by the daemon's last start ([] before the first). */
  get dirs(): DirSpec[] {
    try {
      const parsed: unknown = JSON.parse(this.meta('dirs') ?? '[]');
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (d): d is DirSpec => typeof d === 'object' && d !== null && typeof d.name === 'string' && typeof d.root === 'string',
      );
    } catch {
      return [];
    }
  }

  setDirs(dirs: readonly DirSpec[]): void {
    this.setMeta('dirs', JSON.stringify(dirs.map(({ name, root }) => ({ name, root }))));
  }

  compactedThrough(): number {
    return Number(this.meta('compacted_through') ?? '0');
  }

  /**
   * The run that logged `sequence` in this database (014-log-runs.sql); null for 0, and for a
   * sequence logged before any run was noted (none is: the migration notes the log before it).
   */
  runOf(sequence: number): string | null {
    // Past the log's end no run logged it here: R was told of it by a log this copy lacks (a copy
    // taken while that run logged, restored before it logged again).
    return sequence > 0 && sequence <= this.lastSequence() ? (this.stmt.runOf.get(sequence)?.run_id ?? null) : null;
  }

  /** The highest sequence ever allocated (0 for an empty log). */
  lastSequence(): number {
    return this.stmt.lastSequence.get()?.seq ?? 0;
  }

  /** Changes whenever another connection (another process) commits; cheap to poll. */
  dataVersion(): number {
    return Number(this.db.pragma('data_version', { simple: true }));
  }

  getFile(base_dir: string, path: string): FileRecord | null {
    const row = this.stmt.getFile.get(base_dir, path);
    return row ? toRecord(row) : null;
  }

  /**
   * Several getFile lookups in one read transaction: outside a transaction every statement takes
   * and drops SQLite's locks, which costs more than the lookup itself.
   */
  getFiles(base_dir: string, paths: readonly string[]): (FileRecord | null)[] {
    return this.db.transaction(() => paths.map((path) => this.getFile(base_dir, path)))();
  }

  /** Live entries directly inside dir ('' for the root), by name. */
  liveChildren(base_dir: string, dir: string): Map<string, FileRecord> {
    const rows = this.stmt.liveChildren.all(base_dir, dir === '' ? '' : `${dir}/`);
    return new Map(rows.map((r) => [dir === '' ? r.path : r.path.slice(dir.length + 1), toRecord(r)]));
  }

  /** Live entries recorded for a root, those marked ignored too (reconcile.ts: liveCountUnignored). */
  liveCount(base_dir: string): number {
    return this.stmt.liveCount.get(base_dir)?.n ?? 0;
  }

  /** Live entries recorded at path and below it, those marked ignored too. */
  liveCountAt(base_dir: string, path: string): number {
    return this.stmt.liveCountAt.get(base_dir, path, `${path}/`, `${path}0`)?.n ?? 0;
  }

  /** Up to `limit` rows marked ignored in a root, by path, after `after` ('' from the first). */
  ignoredAfter(base_dir: string, after: string, limit: number): FileRecord[] {
    return this.stmt.ignoredAfter.all(base_dir, after, limit).map(toRecord);
  }

  /** Live files recorded with this inode number, in any root (the hard links of one file). */
  liveFilesWithInode(ino: number): { base_dir: string; path: string }[] {
    return this.stmt.liveFilesWithInode.all(ino);
  }

  /** Up to `limit` live files recorded with this content (what E may stage an upstream file from); not the ignored ones, which E does not share. */
  liveFilesWithChecksum(checksum: string, size: number, limit: number): { base_dir: string; path: string }[] {
    return this.stmt.liveFilesWithChecksum.all(checksum, size, limit);
  }

  /**
   * Records a batch in one transaction and returns the highest sequence afterwards. Each input
   * says "this path is present with this state" or "this path is gone"; entries that change
   * nothing (same content) allocate no sequence.
   */
  recordChanges(entries: readonly ChangeInput[]): number {
    return this.applyChanges(entries).highestSequence;
  }

  /**
   * recordChanges, also returning the entries it logged. `stillIgnored` tells which rows marked
   * ignored below a deleted directory the rules still exclude: those stay as they are (a deletion
   * would reach the clients' copies), the others are deleted with it. Without it, all stay.
   */
  applyChanges(entries: readonly ChangeInput[], now: number = Date.now(), stillIgnored?: StillIgnored): RecordResult {
    const run = this.db.transaction((inputs: readonly ChangeInput[]) => {
      this.runNoted = false;
      const recorded: ChangeEntry[] = [];
      let untracked = 0;
      for (const input of orderChanges(inputs)) {
        if (input.operation === 'delete' && input.ignored) untracked += this.markIgnored(input.base_dir, input.path);
        else this.applyOne(input, now, recorded, stillIgnored);
      }
      return { recorded, untracked };
    });
    const { recorded, untracked } = entries.length === 0 ? { recorded: [], untracked: 0 } : run.immediate(entries);
    return { highestSequence: this.lastSequence(), recorded, untracked };
  }

  private logChange(entry: Omit<ChangeEntry, 'sequence' | 'timestamp'>, now: number, recorded: ChangeEntry[]): number {
    if (!this.runNoted) {
      // In the entry's transaction: a run is never without its first entry, nor an entry after a
      // restore without a run started at the copy's end.
      this.stmt.noteRun.run(this.runId, this.lastSequence(), now);
      this.runNoted = true;
    }
    const { lastInsertRowid } = this.stmt.insertChange.run(
      now, entry.operation, entry.kind, entry.base_dir, entry.path, entry.checksum, entry.size, entry.mtime, entry.mode, entry.deleted_checksum ?? null,
    );
    const sequence = Number(lastInsertRowid);
    recorded.push({ ...entry, sequence, timestamp: now });
    return sequence;
  }

  private tombstone(row: FileRow | FileRecord, now: number, recorded: ChangeEntry[]): void {
    const sequence = this.logChange(
      {
        operation: 'delete', kind: row.kind, base_dir: row.base_dir, path: row.path, checksum: null, size: 0, mtime: 0, mode: 0,
        ...(row.kind === 'file' && row.checksum !== null ? { deleted_checksum: row.checksum } : {}),
      },
      now,
      recorded,
    );
    this.stmt.tombstone.run(sequence, row.base_dir, row.path);
  }

  /**
   * Marks a path and what is recorded below it as ignored, logging nothing: no client is told of
   * a deletion, and the rows keep what the clients last received, for when the path is no longer
   * ignored (applyOne). Their log entries are no longer served, and the next compaction drops them.
   */
  private markIgnored(base_dir: string, path: string): number {
    return this.stmt.markIgnored.run(base_dir, path, `${path}/`, `${path}0`).changes;
  }

  /** Deletes everything recorded below path, deepest first, but the rows the rules still ignore. */
  private tombstoneBelow(base_dir: string, path: string, now: number, recorded: ChangeEntry[], stillIgnored?: StillIgnored): void {
    for (const row of this.stmt.liveUnder.all(base_dir, `${path}/`, `${path}0`)) {
      if (row.ignored === 1 && (stillIgnored?.(base_dir, row.path, row.kind === 'dir') ?? true)) continue;
      this.tombstone(row, now, recorded);
    }
  }

  private applyOne(input: ChangeInput, now: number, recorded: ChangeEntry[], stillIgnored?: StillIgnored): void {
    const row = this.stmt.getFile.get(input.base_dir, input.path);
    const prev = row ? toRecord(row) : null;
    // A row marked ignored that the rules still exclude (unknown, as to zync-apply: still) is left
    // as it is, logging nothing: what a client holds there is its own while ignored, and the row
    // keeps what it last received, for when the rule goes (logged then, found again or not).
    if (prev?.ignored === true && (stillIgnored?.(input.base_dir, input.path, (input.operation === 'delete' ? prev.kind : input.kind) === 'dir') ?? true)) return;
    const next: ObservedEntry | null =
      input.operation === 'delete'
        ? null
        : {
            path: input.path,
            kind: input.kind,
            checksum: input.kind === 'dir' ? null : input.checksum,
            size: input.kind === 'dir' ? 0 : input.size,
            mtime: input.mtime,
            mode: input.mode & 0o7777,
            // Unknown inode (a recorder that did not stat): keep the recorded one for a touch.
            ino: input.ino ?? (prev?.kind === input.kind ? prev.ino : 0),
            ctime: input.ctime ?? 0,
          };
    if (next === null || prev?.kind === 'dir') {
      // A directory that is gone or became a file takes its recorded contents with it.
      if (next === null || next.kind !== 'dir') this.tombstoneBelow(input.base_dir, input.path, now, recorded, stillIgnored);
    }
    const classified = classifyChange(prev, next);
    // A row marked ignored that is present again is logged as new whatever it holds: a client
    // skipped what E did to it meanwhile. Gone instead, it is logged as a deletion (classifyChange).
    const unignored = prev?.ignored === true && next !== null && classified !== 'replace';
    // Unchanged but to be sent again (ChangeInput.relog): logged as E's present state.
    const resent = input.relog && next !== null && (classified === null || classified === 'touch');
    const verdict = unignored ? 'add' : resent ? (next.kind === 'dir' ? 'add' : 'modify') : classified;
    if (verdict === null) return;
    if (verdict === 'delete') {
      this.tombstone(prev!, now, recorded);
      return;
    }
    const live = next!;
    if (verdict === 'touch') {
      this.stmt.touchFile.run(live.size, live.mtime, live.mode, live.ino, live.ctime, input.base_dir, input.path);
      return;
    }
    if (verdict === 'replace') this.tombstone(prev!, now, recorded);
    const operation = verdict === 'modify' ? 'modify' : 'add';
    const sequence = this.logChange(
      { operation, kind: live.kind, base_dir: input.base_dir, path: input.path, checksum: live.checksum, size: live.size, mtime: live.mtime, mode: live.mode },
      now,
      recorded,
    );
    this.stmt.upsertFile.run(input.base_dir, input.path, live.kind, live.checksum, live.size, live.mtime, live.mode, live.ino, live.ctime, sequence);
  }

  /**
   * The log page (since, to]: at most `limit` entries and about `maxBytes` of JSON (long paths
   * must not make a frame the client refuses). `to` is the highest sequence when the page holds
   * everything after `since`. `currentOnly` leaves out every entry a later one of its path
   * superseded (a resync compares R with E's current state, not with E's history); the page still
   * covers (since, to], those entries being no more than a compaction would have dropped.
   */
  changesSince(since: number, limit: number, maxBytes: number = PAGE_BYTES, currentOnly = false): ChangesPage {
    const rows = currentOnly ? this.stmt.currentChangesSince : this.stmt.changesSince;
    return this.db.transaction(() => {
      const highest = this.lastSequence();
      const changes: ChangeEntry[] = [];
      let bytes = 0;
      let cut = false;
      for (const row of rows.iterate(since, limit)) {
        bytes += ENTRY_OVERHEAD_BYTES + Buffer.byteLength(row.path) + Buffer.byteLength(row.base_dir);
        if (bytes > maxBytes && changes.length > 0) {
          cut = true;
          break;
        }
        // deleted_checksum only where set: the wire field is optional, never null.
        const { deleted_checksum, ...entry } = row;
        changes.push(deleted_checksum == null ? entry : { ...entry, deleted_checksum });
      }
      const full = cut || changes.length === limit;
      const to = full ? changes[changes.length - 1]!.sequence : Math.max(highest, since);
      const run = this.runOf(to);
      return { changes, from_sequence: since, to_sequence: to, more_available: full && to < highest, highest_sequence: highest, ...(run === null ? {} : { run_id: run }) };
    })();
  }

  /**
   * One step of compaction in one IMMEDIATE transaction (short, so the server and zync-apply are
   * never held up for long): looks at up to `limit` entries in (after, upTo], drops what
   * planCompaction says, deletes the files rows of dropped tombstones and raises
   * compacted_through. Decided inside the transaction, against the rows as they are then.
   */
  compactStep(after: number, upTo: number, limit: number, tombstonesBefore: number): CompactionStep {
    return this.db.transaction((): CompactionStep => {
      const rows = this.stmt.compactionCandidates.all(after, upTo, limit);
      const before = this.compactedThrough();
      const plan = planCompaction(rows, { tombstonesBefore, compactedThrough: before });
      for (const sequence of plan.drop) this.stmt.dropChange.run(sequence);
      const tombstones = new Set(plan.tombstones);
      for (const row of rows) if (tombstones.has(row.sequence)) this.stmt.dropTombstone.run(row.base_dir, row.path, row.sequence);
      if (plan.compactedThrough !== before) this.setMeta('compacted_through', String(plan.compactedThrough));
      return {
        next: rows.length > 0 ? rows[rows.length - 1]!.sequence : upTo,
        done: rows.length < limit,
        dropped: plan.drop.length,
        tombstones: plan.tombstones.length,
        compactedThrough: plan.compactedThrough,
      };
    }).immediate();
  }

  /** Entries currently in the log (not the highest sequence: compaction drops entries). */
  changeCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n;
  }

  space(): DatabaseSpace {
    const num = (pragma: string) => Number(this.db.pragma(pragma, { simple: true }));
    return { pageSize: num('page_size'), pages: num('page_count'), freePages: num('freelist_count'), autoVacuum: num('auto_vacuum') };
  }

  /** Returns up to `pages` free pages to the file system (auto_vacuum = INCREMENTAL only). */
  vacuumStep(pages: number): void {
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
  }

  /**
   * Rewrites the whole database (VACUUM), which also switches a database made before
   * incremental vacuum was set up to it. Holds the write lock for as long as it runs.
   */
  vacuumFull(): void {
    this.db.exec('VACUUM');
  }

  /** Copies the WAL into the database and truncates it (PASSIVE when readers are in the way). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Notes a client's HELLO; returns its last acknowledged sequence. */
  helloClient(clientId: string, now: number = Date.now()): number {
    this.stmt.helloClient.run(clientId, now);
    return this.stmt.getClient.get(clientId)?.last_ack ?? 0;
  }

  ackClient(clientId: string, sequence: number, now: number = Date.now()): void {
    this.stmt.ackClient.run(clientId, sequence, now);
  }
}
