// The client's state on R (sync_client.db, SQLite): its position in the daemon's log
// (log_id, sequence, resync generation) and, per (base_dir, path), what R last received and the
// local stat after writing it. It owns the SQL and the migrations (packages/client/sql/NNN-*.sql,
// tracked with PRAGMA user_version). It makes no decisions: the pull engine tells it what to
// record, in one transaction per batch, only after the batch's effects are durable on disk.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { checkDatabaseKind, isSqliteFullDisk, makePrivateDatabaseFile, ZyncError } from '@zync/common';
import type { Disk } from '../core/root-disks.js';
import { decodeReadThrough, encodeReadThrough, type ReadThrough } from '../core/room-pages.js';
import type { LogRun } from '../core/start-position.js';
import { entryKeyString, type EntryKey, type KeptDir, type OpenedDir, type PartialDownload, type Placement, type RecordedEntry } from '../core/types.js';

export type { EntryKey, KeptDir, OpenedDir, PartialDownload, Placement, RecordedEntry };

/** Where the client stands in the daemon's log. */
export interface Position {
  /** null before the first HELLO. */
  log_id: string | null;
  /** Last sequence applied, durable and acknowledged. */
  sequence: number;
  generation: number;
  /** A full pass from 0 is under way; its sweep runs when it reaches the end of the log. */
  resyncing: boolean;
  /**
   * A sequence at or after `sequence` and the run of E's log that logged it (GET_CHANGES
   * `run_id`), asked about at HELLO (core/start-position.ts); null: none known. Meta keys
   * run_id and run_sequence: no migration.
   */
  run: LogRun | null;
}

/** packages/client/sql, from src/store and dist/store (the bundle keeps this module's URL: scripts/bundle-binaries.mjs). */
const SQL_DIR = new URL('../../sql/', import.meta.url);

function loadMigrations(): { version: number; sql: string }[] {
  const dir = fileURLToPath(SQL_DIR);
  return readdirSync(dir)
    .filter((name) => /^\d{3}-.*\.sql$/.test(name))
    .sort()
    .map((name) => ({ version: Number(name.slice(0, 3)), sql: readFileSync(new URL(name, SQL_DIR), 'utf8') }));
}

type Row = Omit<RecordedEntry, 'kind'> & { kind: string };
/** The meta keys of a killed batch's marks (see openBatch, finishBatches, sql/013). */
type MarkKey = 'batch_open' | 'batch_left' | 'batch_untracked';
/** A row of placements (sql/005, 010, 013, 015, 016). */
type Note = EntryKey & { checksum: string; mode: number | null; kind: 'file' | 'dir'; sequence: number | null; placed: 0 | 1 };

/** What the DISK_FULL sentence of a full disk under the database advises (a running client says otherwise). */
export const RUN_AGAIN_ADVICE = 'free some space and run again';

/** The DISK_FULL sentence for a full disk under the client database at dbPath (exit 7). */
export function stateDiskFullError(dbPath: string, cause: unknown): ZyncError {
  return new ZyncError('DISK_FULL', `No space left on R's disk for the client database ${dbPath}; ${RUN_AGAIN_ADVICE}.`, { cause });
}

/**
 * SQLite failing on a full disk, as DISK_FULL (exit 7): SQLITE_FULL, or an I/O error (creating
 * the WAL index, say) or a refused open (no inode left) while the database's file system has
 * next to nothing left (isSqliteFullDisk).
 */
function diskFullOr(err: unknown, dbPath: string): unknown {
  return isSqliteFullDisk(err, nodePath.dirname(dbPath)) ? stateDiskFullError(dbPath, err) : err;
}

/**
 * A database that cannot be opened (not a database, corrupt, a directory): one sentence, worded
 * as the daemon and zync-apply word it. A full disk stays DISK_FULL; other errors pass through.
 */
export function openFailure(err: unknown, dbPath: string): unknown {
  const failure = diskFullOr(err, dbPath);
  if (failure instanceof ZyncError) return failure;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  return new ZyncError('BAD_ARGUMENT', `Cannot open database ${dbPath}: ${(err as Error).message}.`, { cause: err });
}

function toEntry({ local_ctime_max, local_mode, ...row }: Row): RecordedEntry {
  const entry: RecordedEntry = { ...row, kind: row.kind === 'dir' ? 'dir' : 'file' };
  if (local_ctime_max !== null && local_ctime_max !== undefined) entry.local_ctime_max = local_ctime_max;
  if (local_mode !== null && local_mode !== undefined) entry.local_mode = local_mode;
  return entry;
}

export class ClientStore {
  private readonly db: Database.Database;
  /** The database file (the staged records live in it too: upstream/staged-records.ts). */
  readonly path: string;
  private readonly stmts;

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.stmts = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getEntry: db.prepare<[string, string], Row>('SELECT * FROM entries WHERE base_dir = ? AND path = ?'),
      upsert: db.prepare<RecordedEntry>(
        `INSERT INTO entries (base_dir, path, kind, checksum, size, mtime, mode, local_size, local_mtime, local_ino, local_ctime_max, local_mode, sequence, seen_gen)
         VALUES (@base_dir, @path, @kind, @checksum, @size, @mtime, @mode, @local_size, @local_mtime, @local_ino, @local_ctime_max, @local_mode, @sequence, @seen_gen)
         ON CONFLICT (base_dir, path) DO UPDATE SET
           kind = excluded.kind, checksum = excluded.checksum, size = excluded.size, mtime = excluded.mtime,
           mode = excluded.mode, local_size = excluded.local_size, local_mtime = excluded.local_mtime,
           local_ino = excluded.local_ino, local_ctime_max = excluded.local_ctime_max, local_mode = excluded.local_mode, sequence = excluded.sequence, seen_gen = excluded.seen_gen`,
      ),
      getMany: db.prepare<[string], Row>(
        `WITH keys (base_dir, path) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
         SELECT e.* FROM keys JOIN entries e ON e.base_dir = keys.base_dir AND e.path = keys.path`,
      ),
      byChecksums: db.prepare<[string], Row>(
        "SELECT e.* FROM json_each(?) AS j JOIN entries e ON e.checksum = j.value WHERE e.kind = 'file'",
      ),
      remove: db.prepare<[string, string]>('DELETE FROM entries WHERE base_dir = ? AND path = ?'),
      forgetSequences: db.prepare('UPDATE entries SET sequence = 0 WHERE sequence <> 0'),
      byChecksum: db.prepare<[string, number], Row>("SELECT * FROM entries WHERE checksum = ? AND kind = 'file' LIMIT ?"),
      // INDEXED BY: a planner falling back to the primary key would read the whole base dir per directory.
      children: db.prepare<[string, string], Row>(
        "SELECT * FROM entries INDEXED BY entries_by_parent WHERE base_dir = ? AND rtrim(path, replace(path, '/', '')) = ? ORDER BY path",
      ),
      below: db.prepare<[string, string, string, number], Row>(
        'SELECT * FROM entries WHERE base_dir = ? AND path > ? AND path < ? ORDER BY path LIMIT ?',
      ),
      belowDeepestFirst: db.prepare<[string, string, string, number], Row>(
        'SELECT * FROM entries WHERE base_dir = ? AND path > ? AND path < ? ORDER BY path DESC LIMIT ?',
      ),
      receivedAfter: db.prepare<[string, string, number], Row>(
        "SELECT * FROM entries WHERE base_dir = ? AND kind = 'file' AND checksum IS NOT NULL AND path > ? ORDER BY path LIMIT ?",
      ),
      receivedFiles: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM entries WHERE base_dir = ? AND kind = 'file' AND checksum IS NOT NULL",
      ),
      unseen: db.prepare<[string, number, string, number], Row>(
        'SELECT * FROM entries WHERE base_dir = ? AND seen_gen < ? AND path > ? ORDER BY path LIMIT ?',
      ),
      getRoot: db.prepare<[string], { root: string }>('SELECT root FROM roots WHERE base_dir = ?'),
      boundRoots: db.prepare<[], { base_dir: string; root: string }>('SELECT base_dir, root FROM roots ORDER BY base_dir'),
      pulledRoots: db.prepare<[], { base_dir: string }>('SELECT base_dir FROM roots r WHERE EXISTS (SELECT 1 FROM entries e WHERE e.base_dir = r.base_dir)'),
      // A device recorded for the root's old place says nothing about its new one.
      setRoot: db.prepare<[string, string]>(
        'INSERT INTO roots (base_dir, root) VALUES (?, ?) ON CONFLICT (base_dir) DO UPDATE SET root = excluded.root, dev = CASE WHEN roots.root = excluded.root THEN roots.dev END, mount_point = CASE WHEN roots.root = excluded.root THEN roots.mount_point END, root_id = CASE WHEN roots.root = excluded.root THEN roots.root_id END',
      ),
      getRootDisk: db.prepare<[string], { dev: number | null; mount_point: string | null }>('SELECT dev, mount_point FROM roots WHERE base_dir = ?'),
      setRootDisk: db.prepare<[number, string, string, string]>('UPDATE roots SET dev = ?, mount_point = ? WHERE base_dir = ? AND root = ?'),
      getRootId: db.prepare<[string], { root_id: string | null }>('SELECT root_id FROM roots WHERE base_dir = ?'),
      setRootId: db.prepare<[string | null, string, string]>('UPDATE roots SET root_id = ? WHERE base_dir = ? AND root = ?'),
      clearRootId: db.prepare<[string]>('UPDATE roots SET root_id = NULL WHERE base_dir = ?'),
      dropDir: db.prepare<[string]>('DELETE FROM entries WHERE base_dir = ?'),
      anyEntry: db.prepare<[string], { found: number }>('SELECT EXISTS (SELECT 1 FROM entries WHERE base_dir = ?) AS found'),
      anyUnknownLocalMode: db.prepare<[string], { found: number }>(
        "SELECT EXISTS (SELECT 1 FROM entries WHERE base_dir = ? AND kind = 'file' AND local_mode IS NULL) AS found",
      ),
      dropDirPartials: db.prepare<[string]>('DELETE FROM partial_downloads WHERE base_dir = ?'),
      dropDirPlacements: db.prepare<[string]>('DELETE FROM placements WHERE base_dir = ?'),
      // Kept again (E made it again and removed it again): the latest removal's word stands.
      keep: db.prepare<[string, string, string | null, string | null]>(
        'INSERT INTO kept_dirs (base_dir, path, moved_to_base_dir, moved_to_path) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET moved_to_base_dir = excluded.moved_to_base_dir, moved_to_path = excluded.moved_to_path',
      ),
      unkeep: db.prepare<[string, string]>('DELETE FROM kept_dirs WHERE base_dir = ? AND path = ?'),
      allKept: db.prepare<[], EntryKey & { moved_to_base_dir: string | null; moved_to_path: string | null }>(
        'SELECT base_dir, path, moved_to_base_dir, moved_to_path FROM kept_dirs ORDER BY base_dir, path',
      ),
      dropKept: db.prepare<[string]>('DELETE FROM kept_dirs WHERE base_dir = ?'),
      getPartial: db.prepare<[string, string], PartialDownload>('SELECT * FROM partial_downloads WHERE base_dir = ? AND path = ?'),
      putPartial: db.prepare<PartialDownload>(
        `INSERT INTO partial_downloads (base_dir, path, checksum, size, temp_path) VALUES (@base_dir, @path, @checksum, @size, @temp_path)
         ON CONFLICT (base_dir, path) DO UPDATE SET checksum = excluded.checksum, size = excluded.size, temp_path = excluded.temp_path`,
      ),
      dropPartial: db.prepare<[string, string]>('DELETE FROM partial_downloads WHERE base_dir = ? AND path = ?'),
      allPartials: db.prepare<[], PartialDownload>('SELECT * FROM partial_downloads'),
      // Once per (path, content, bits), NULL bits included (which UNIQUE lets repeat), as the open
      // batch's (sql/011: 1). A note a stopped batch wrote (2, 3) stays its: that batch may have placed it.
      // A directory's note (sql/013): kind 'dir', checksum '', mode NULL, not placed (sql/016).
      notePlacement: db.prepare<Note>(
        `INSERT INTO placements (base_dir, path, checksum, mode, batch, kind, sequence, placed) SELECT @base_dir, @path, @checksum, @mode, 1, @kind, @sequence, @placed
         WHERE NOT EXISTS (SELECT 1 FROM placements WHERE base_dir = @base_dir AND path = @path AND checksum = @checksum AND mode IS @mode AND kind = @kind)`,
      ),
      // A recorded batch's note (0) at a path it failed (it placed nothing there) takes this batch's word.
      renotePlacement: db.prepare<Note>(
        'UPDATE placements SET batch = 1, placed = @placed WHERE base_dir = @base_dir AND path = @path AND checksum = @checksum AND mode IS @mode AND kind = @kind AND batch = 0',
      ),
      // Placed once a batch that noted it (this one, or a stopped one: it may have) would place it (sql/016).
      raisePlaced: db.prepare<Note>(
        'UPDATE placements SET placed = 1 WHERE @placed = 1 AND base_dir = @base_dir AND path = @path AND checksum = @checksum AND mode IS @mode AND kind = @kind AND placed = 0',
      ),
      // The latest sequence a page showed the content at (sql/015), whichever batch noted it. One
      // not known (NULL) takes the page's: E held it then, and no later time is known.
      raisePlacementSequence: db.prepare<Note>(
        `UPDATE placements SET sequence = @sequence WHERE base_dir = @base_dir AND path = @path AND checksum = @checksum AND mode IS @mode AND kind = @kind
           AND (sequence IS NULL OR sequence < @sequence)`,
      ),
      // The open batch's notes, as a stopped one's (openBatch) or an ended one's (commitBatch).
      stopOpenPlacements: db.prepare('UPDATE placements SET batch = 2 WHERE batch = 1'),
      endOpenPlacements: db.prepare<[string]>('UPDATE placements SET batch = 0 WHERE batch = 1 AND base_dir = ?'),
      // A stopped batch's note at a path E could not serve: kept until E's later entry records it.
      awaitPlacements: db.prepare<[string, string]>('UPDATE placements SET batch = 3 WHERE base_dir = ? AND path = ? AND batch = 2'),
      endStoppedPlacements: db.prepare<[string]>('UPDATE placements SET batch = 0 WHERE batch = 2 AND base_dir = ?'),
      anyStoppedPlacementIn: db.prepare<[string], { found: number }>('SELECT EXISTS (SELECT 1 FROM placements WHERE base_dir = ? AND batch IN (2, 3)) AS found'),
      anyAwaitedPlacementIn: db.prepare<[string], { found: number }>('SELECT EXISTS (SELECT 1 FROM placements WHERE base_dir = ? AND batch = 3) AS found'),
      // From 1 where the open batch was killed (no batch runs while an upload asks), else from 2.
      stoppedPlacementPaths: db.prepare<[string, number, number], { path: string; batch: number }>(
        'SELECT path, max(batch) AS batch FROM placements WHERE base_dir = ? AND batch BETWEEN ? AND 3 GROUP BY path ORDER BY path LIMIT ?',
      ),
      placementsOf: db.prepare<[string], EntryKey & Omit<Placement, 'placed'> & { placed: number }>(
        `WITH keys (base_dir, path) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
         SELECT p.* FROM keys JOIN placements p ON p.base_dir = keys.base_dir AND p.path = keys.path WHERE p.kind = 'file'`,
      ),
      stoppedDirNotesOf: db.prepare<[string], EntryKey>(
        `WITH keys (base_dir, path) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
         SELECT DISTINCT p.base_dir, p.path FROM keys JOIN placements p ON p.base_dir = keys.base_dir AND p.path = keys.path
         WHERE p.kind = 'dir' AND p.batch IN (1, 2, 3)`,
      ),
      dropPlacements: db.prepare<[string, string]>('DELETE FROM placements WHERE base_dir = ? AND path = ?'),
      anyPlacement: db.prepare<[], { found: number }>('SELECT EXISTS (SELECT 1 FROM placements) AS found'),
      unrecordedPlacements: db.prepare<[string, string, number], { path: string }>(
        `SELECT DISTINCT p.path FROM placements p WHERE p.base_dir = ? AND p.path > ? AND p.kind = 'file'
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.base_dir = p.base_dir AND e.path = p.path)
         ORDER BY p.path LIMIT ?`,
      ),
      // Paths noted only as directories (unrecordedPlacements takes those with a file's note).
      unrecordedDirPlacements: db.prepare<[string, string, number], { path: string }>(
        `SELECT DISTINCT p.path FROM placements p WHERE p.base_dir = ? AND p.path > ? AND p.kind = 'dir'
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.base_dir = p.base_dir AND e.path = p.path)
           AND NOT EXISTS (SELECT 1 FROM placements f WHERE f.base_dir = p.base_dir AND f.path = p.path AND f.kind = 'file')
         ORDER BY p.path LIMIT ?`,
      ),
      noteOpenedDir: db.prepare<[string, string, number]>(
        'INSERT INTO opened_dirs (base_dir, path, mode) VALUES (?, ?, ?) ON CONFLICT (base_dir, path) DO UPDATE SET mode = excluded.mode',
      ),
      dropOpenedDir: db.prepare<[string, string]>('DELETE FROM opened_dirs WHERE base_dir = ? AND path = ?'),
      allOpenedDirs: db.prepare<[], OpenedDir>('SELECT base_dir, path, mode FROM opened_dirs ORDER BY base_dir, path'),
      dropDirOpened: db.prepare<[string]>('DELETE FROM opened_dirs WHERE base_dir = ?'),
    };
  }

  /** A fresh client id, as a new database records it (HELLO's client_id). */
  static newClientId(): string {
    return `zync-client-${randomUUID()}`;
  }

  /**
   * Opens (creating and migrating if needed) the database at path. A new database records
   * `clientId` when given: the id the run already introduced itself with in HELLO.
   */
  static open(path: string, options: { clientId?: string } = {}): ClientStore {
    let db: Database.Database;
    try {
      makePrivateDatabaseFile(path);
      db = new Database(path);
    } catch (err) {
      throw new ZyncError('BAD_ARGUMENT', `Cannot open database ${path}: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
    }
    try {
      // Before anything is written: a --db that is not the client's is refused, not migrated.
      const current = db.pragma('user_version', { simple: true }) as number;
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const migrations = loadMigrations();
      checkDatabaseKind(path, { userVersion: current, tables }, { program: 'zync-client', latest: migrations.length, table: 'entries', advice: "pass --db with the client's state, or a new file" });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        db.transaction(() => {
          db.exec(migration.sql);
          db.pragma(`user_version = ${migration.version}`);
        })();
      }
      const store = new ClientStore(db, path);
      if (!store.meta('client_id')) store.stmts.setMeta.run('client_id', options.clientId ?? ClientStore.newClientId());
      // A state from before pulled_dirs was kept: the names that received something. A name bound
      // without (a run that bound it but pulled for other names) is resynced once: E's root may be
      // empty, and then that costs a read of the log.
      if (store.meta('log_id') !== undefined && store.meta('pulled_dirs') === undefined) {
        store.setPulledDirs(store.stmts.pulledRoots.all().map((r) => r.base_dir));
      }
      // A state from before synced_dirs was kept: sql/012 gave it the names its pulls covered.
      return store;
    } catch (err) {
      db.close();
      // The first PRAGMA is what reads the file: a corrupt or foreign file fails here, not above.
      throw openFailure(err, path);
    }
  }

  // ---- partial downloads (see sql/002-partial-downloads.sql) ----

  getPartial(baseDir: string, path: string): PartialDownload | undefined {
    return this.stmts.getPartial.get(baseDir, path);
  }

  putPartial(partial: PartialDownload): void {
    try {
      this.stmts.putPartial.run(partial);
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  dropPartial(baseDir: string, path: string): void {
    try {
      this.stmts.dropPartial.run(baseDir, path);
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  partials(): PartialDownload[] {
    return this.stmts.allPartials.all();
  }

  private meta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  get clientId(): string {
    return this.meta('client_id')!;
  }

  position(): Position {
    const runId = this.meta('run_id');
    return {
      log_id: this.meta('log_id') ?? null,
      sequence: Number(this.meta('sequence') ?? 0),
      generation: Number(this.meta('generation') ?? 0),
      resyncing: this.meta('resyncing') === '1',
      run: runId ? { run_id: runId, sequence: Number(this.meta('run_sequence') ?? 0) } : null,
    };
  }

  /**
   * Starts a full pass from 0 against log_id: new generation, sequence 0, sweep pending. Against
   * another log (E's database recreated) the sequences of R's records name entries of the old one:
   * they become 0, older than every entry of the new log, as they are (it began after the old one
   * was replaced), so that a content E holds in it is noted after them (notedAfter). Against the
   * same log they stay: a resync replays history they are later than. So does the position it
   * starts from, with the names it covers (passedThrough); one that starts within a resync of the
   * same log (a name added, RESYNC_REQUIRED, a root back from away) keeps, per name, how far R
   * has applied the log for it (appliedThrough): what R had passed before that one, or that
   * one's progress, whichever is further. `restored`: the same log_id, whose sequences E logged
   * again from an older copy (core/start-position.ts): as another log. The run held goes: the
   * pages of the resync tell it again.
   */
  startResync(logId: string, lastSequence?: number, restored = false): Position {
    const { generation, log_id: previous, sequence, resyncing } = this.position();
    const next = generation + 1;
    // The same log_id ending before R's position: E's database restored from an older backup,
    // whose log reuses the sequences after its end for other changes. As another log.
    // Within a resync, the position is its own progress: the one it started from is the saved one.
    const from = resyncing ? Math.max(sequence, this.passedStart()?.sequence ?? 0) : sequence;
    const rewound = restored || (previous === logId && lastSequence !== undefined && from > lastSequence);
    this.db.transaction(() => {
      const forgotten = (previous !== null && previous !== logId) || rewound;
      if (forgotten) this.stmts.forgetSequences.run();
      // Kept by a resync that starts within one: the records' sequences stay forgotten.
      if (forgotten) this.stmts.setMeta.run('resync_log_forgotten', '1');
      else if (!resyncing) this.stmts.setMeta.run('resync_log_forgotten', '0');
      if (previous !== logId || rewound) {
        this.stmts.setMeta.run('passed_through', JSON.stringify({ sequence: 0, dirs: [], left: {} }));
        this.stmts.setMeta.run('left_at', '{}');
      } else if (!resyncing) this.stmts.setMeta.run('passed_through', JSON.stringify({ sequence, dirs: this.pulledDirs(), left: this.leftAt() }));
      else this.stmts.setMeta.run('passed_through', JSON.stringify(this.appliedWithinResync()));
      this.stmts.setMeta.run('log_id', logId);
      this.stmts.setMeta.run('sequence', '0');
      this.stmts.setMeta.run('generation', String(next));
      this.stmts.setMeta.run('resyncing', '1');
      this.stmts.setMeta.run('run_id', '');
    })();
    return this.position();
  }

  /**
   * The resync under way is against a log R's records cannot be placed in: E's database replaced
   * (another log_id) or restored from an older backup (its log ending before R's position), so
   * their sequences were forgotten (startResync). Not for a name merely new to R.
   */
  resyncAgainstForgottenLog(): boolean {
    return this.position().resyncing && this.meta('resync_log_forgotten') === '1';
  }

  /** E answered R's last acknowledgement `recorded: false` (E's disk was full): the next pass acknowledges again. */
  ackUnrecorded(): boolean {
    return this.meta('ack_unrecorded') === '1';
  }

  setAckUnrecorded(unrecorded: boolean): void {
    if (this.ackUnrecorded() !== unrecorded) this.stmts.setMeta.run('ack_unrecorded', unrecorded ? '1' : '0');
  }

  /** `baseDirs`: the names the finished pass pulled, now each pulled whole once (syncedDirs). */
  finishResync(baseDirs: readonly string[] = []): void {
    this.db.transaction(() => {
      this.stmts.setMeta.run('resyncing', '0');
      this.markSynced(baseDirs);
    })();
  }

  /** Names whose own part of a resync ended (its sweep too) while another's keeps it open. */
  markSynced(baseDirs: readonly string[]): void {
    const known = this.syncedDirs();
    if (baseDirs.every((name) => known.includes(name))) return;
    this.stmts.setMeta.run('synced_dirs', JSON.stringify([...new Set([...known, ...baseDirs])].sort()));
  }

  /**
   * The base_dir names a pull has brought up to date at least once (a full pass's end), since
   * their records were last forgotten: for another, R's files cannot be told from E's (a first
   * pull cut midway records part of them), so --update-upstream refuses it.
   */
  syncedDirs(): string[] {
    const recorded = this.meta('synced_dirs');
    return recorded === undefined ? [] : (JSON.parse(recorded) as string[]);
  }

  /**
   * While a resync runs: the sequence up to which R had applied E's log for baseDir before it
   * began (its pages replay that history; core/local-edits.ts notedAfter). 0: none (not a name
   * that position covered when it left them either, another log, or no resync under way).
   */
  passedThrough(baseDir: string): number {
    const passed = this.passedStart();
    if (passed === undefined || !this.position().resyncing) return 0;
    return passed.dirs.includes(baseDir) ? passed.sequence : (passed.left?.[baseDir] ?? 0);
  }

  /**
   * While a resync runs: how far R has applied E's log for baseDir, counting that resync's own
   * progress (the position, for a name its pulls cover) beside what R had passed before it. A
   * name leaving the pulled names mid-resync, or a resync starting within it, keeps this: the
   * start alone would count E's entries the resync applied since as later than R's state.
   */
  private appliedThrough(baseDir: string): number {
    const progress = this.pulledDirs().includes(baseDir) ? this.position().sequence : 0;
    return Math.max(this.passedThrough(baseDir), progress, this.leftAt()[baseDir] ?? 0);
  }

  /**
   * passed_through for a resync starting within one under way: per name, appliedThrough. The
   * names at the furthest sequence are its `dirs` (that sequence is where R's position had been,
   * for a restored log's check), the others go to `left`.
   */
  private appliedWithinResync(): { sequence: number; dirs: string[]; left: Record<string, number> } {
    const passed = this.passedStart();
    const names = [...new Set([...(passed?.dirs ?? []), ...Object.keys(passed?.left ?? {}), ...this.pulledDirs(), ...Object.keys(this.leftAt())])];
    const applied = names.map((name) => [name, this.appliedThrough(name)] as const).filter(([, sequence]) => sequence > 0);
    const sequence = Math.max(0, ...applied.map(([, at]) => at));
    return {
      sequence,
      dirs: applied.filter(([, at]) => at === sequence).map(([name]) => name).sort(),
      left: Object.fromEntries(applied.filter(([, at]) => at < sequence)),
    };
  }

  /**
   * Names whose records were dropped or forgotten: none of E's log was applied where they are now,
   * so neither a later resync nor the one under way (its saved start) replays from a position.
   */
  private forgetLeft(names: readonly string[]): void {
    if (names.length === 0) return;
    const left = this.leftAt();
    if (names.some((name) => name in left)) {
      for (const name of names) delete left[name];
      this.stmts.setMeta.run('left_at', JSON.stringify(left));
    }
    const passed = this.passedStart();
    if (passed && names.some((name) => passed.dirs.includes(name) || (passed.left !== undefined && name in passed.left))) {
      const keptLeft = Object.fromEntries(Object.entries(passed.left ?? {}).filter(([name]) => !names.includes(name)));
      this.stmts.setMeta.run('passed_through', JSON.stringify({ sequence: passed.sequence, dirs: passed.dirs.filter((name) => !names.includes(name)), left: keptLeft }));
    }
  }

  /** What startResync saved of the position the resync under way (or the last one) started from. */
  private passedStart(): { sequence: number; dirs: string[]; left?: Record<string, number> } | undefined {
    const passed = this.meta('passed_through');
    return passed === undefined ? undefined : (JSON.parse(passed) as { sequence: number; dirs: string[]; left?: Record<string, number> });
  }

  private leftAt(): Record<string, number> {
    const recorded = this.meta('left_at');
    return recorded === undefined ? {} : (JSON.parse(recorded) as Record<string, number>);
  }

  /**
   * The base_dir names the position covers: those every pull since the last resync started
   * with. A run pulls (and acknowledges) the log for its own --dirs only, so for a name left
   * out of one of them the position says nothing.
   */
  pulledDirs(): string[] {
    const recorded = this.meta('pulled_dirs');
    return recorded === undefined ? [] : (JSON.parse(recorded) as string[]);
  }

  /** Recorded before the pull acknowledges anything for these names only. */
  setPulledDirs(names: readonly string[]): void {
    const before = this.pulledDirs();
    const left = this.leftAt();
    const gone = before.filter((name) => !names.includes(name));
    const back = names.filter((name) => name in left);
    if (gone.length > 0 || back.length > 0) {
      const { sequence, resyncing } = this.position();
      // During a resync: its progress for the name too, not only where it started (appliedThrough).
      for (const name of gone) left[name] = resyncing ? this.appliedThrough(name) : sequence;
      for (const name of back) delete left[name];
      this.stmts.setMeta.run('left_at', JSON.stringify(left));
    }
    this.stmts.setMeta.run('pulled_dirs', JSON.stringify([...names].sort()));
  }

  /**
   * Records the pairs of local roots and base_dir names. For a name whose root changed, its
   * entries describe another directory: they are dropped and the names are returned (the caller
   * then resyncs so the new root is compared against the daemon's state) — unless the name is in
   * `moved`, the same tree found at its new place (core/moved-roots.ts): its records are kept, for
   * that resync to tell R's edits and deletions from E's files. Either name also leaves
   * the pulled and the synced dirs, in the same transaction: after a kill -9 before that resync,
   * the next start still resyncs it, and an upload meanwhile refuses it instead of taking its
   * unrecorded files for R's new ones.
   */
  bindRoots(dirs: readonly { name: string; root: string }[], moved: ReadonlySet<string> = new Set()): string[] {
    const changed: string[] = [];
    this.db.transaction(() => {
      for (const dir of dirs) {
        const known = this.stmts.getRoot.get(dir.name)?.root;
        if (known !== undefined && known !== dir.root) {
          if (!moved.has(dir.name)) {
            this.stmts.dropDir.run(dir.name);
            this.stmts.dropKept.run(dir.name);
          }
          this.stmts.setMeta.run('synced_dirs', JSON.stringify(this.syncedDirs().filter((name) => name !== dir.name)));
          changed.push(dir.name);
        }
        this.stmts.setRoot.run(dir.name, dir.root);
      }
      if (changed.length > 0) this.setPulledDirs(this.pulledDirs().filter((name) => !changed.includes(name)));
      // Records dropped: what R applied went to another directory; none of E's log was applied here.
      this.forgetLeft(changed.filter((name) => !moved.has(name)));
    })();
    return changed;
  }

  /** Each base_dir name and the local root it was last synced into, this run's or an earlier one's. */
  boundRoots(): { name: string; root: string }[] {
    return this.stmts.boundRoots.all().map((row) => ({ name: row.base_dir, root: row.root }));
  }

  /** Whether a file is recorded in a base dir without the bits R's file had once written (before sql/009). */
  hasUnknownLocalModes(baseDir: string): boolean {
    return this.stmts.anyUnknownLocalMode.get(baseDir)!.found === 1;
  }

  /** Whether R recorded anything (a file or directory received) in a base dir. */
  hasRecords(baseDir: string): boolean {
    return this.stmts.anyEntry.get(baseDir)!.found === 1;
  }

  /**
   * Forgets everything recorded for a base dir whose local root is gone (core/missing-roots.ts),
   * in one transaction: its entries, kept directories, partial downloads, placement notes and
   * opened directories, and its place among the pulled dirs, so that the next start resyncs it (also after a kill -9
   * that comes before the resync is recorded).
   */
  forgetBaseDir(baseDir: string): void {
    try {
      this.db.transaction(() => {
        this.stmts.dropDir.run(baseDir);
        this.stmts.dropKept.run(baseDir);
        this.stmts.dropDirPartials.run(baseDir);
        this.stmts.dropDirPlacements.run(baseDir);
        this.stmts.dropDirOpened.run(baseDir);
        // Its records are gone: the directory the next pass fills is the one to recognise.
        this.stmts.clearRootId.run(baseDir);
        this.setPulledDirs(this.pulledDirs().filter((name) => name !== baseDir));
        this.forgetLeft([baseDir]);
        this.stmts.setMeta.run('synced_dirs', JSON.stringify(this.syncedDirs().filter((name) => name !== baseDir)));
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /** The local root base_dir was last synced into (undefined before its first sync). */
  boundRoot(baseDir: string): string | undefined {
    return this.stmts.getRoot.get(baseDir)?.root;
  }

  /** The disk base_dir's root was on when a pass last ended there (core/root-disks.ts). */
  rootDisk(baseDir: string): Disk | undefined {
    const row = this.stmts.getRootDisk.get(baseDir);
    return row?.dev != null && row.mount_point != null ? { dev: row.dev, mountPoint: row.mount_point } : undefined;
  }

  /** Records the disk of base_dir's root, only while `root` is the one bound to it. */
  recordRootDisk(baseDir: string, root: string, disk: Disk): void {
    try {
      this.stmts.setRootDisk.run(disk.dev, disk.mountPoint, baseDir, root);
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /** The identity of base_dir's root directory when a pass last ended there (core/vanished-roots.ts rootIdOf). */
  rootId(baseDir: string): string | undefined {
    return this.stmts.getRootId.get(baseDir)?.root_id ?? undefined;
  }

  /** Records the identity of base_dir's root directory, only while `root` is the one bound to it. */
  recordRootId(baseDir: string, root: string, id: string): void {
    try {
      this.stmts.setRootId.run(id, baseDir, root);
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  getEntry(baseDir: string, path: string): RecordedEntry | undefined {
    const row = this.stmts.getEntry.get(baseDir, path);
    return row ? toEntry(row) : undefined;
  }

  /** The records of many paths at once, by entryKeyString (absent paths are left out). */
  getEntries(keys: readonly EntryKey[]): Map<string, RecordedEntry> {
    const found = new Map<string, RecordedEntry>();
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = JSON.stringify(keys.slice(i, i + 1000).map((k) => [k.base_dir, k.path]));
      for (const row of this.stmts.getMany.iterate(chunk)) found.set(entryKeyString(row), toEntry(row));
    }
    return found;
  }

  /** Recorded files holding any of these contents, by checksum (at most `limit` each). */
  findByChecksums(checksums: readonly string[], limit = 4): Map<string, RecordedEntry[]> {
    const found = new Map<string, RecordedEntry[]>();
    for (let i = 0; i < checksums.length; i += 1000) {
      const chunk = JSON.stringify(checksums.slice(i, i + 1000));
      for (const row of this.stmts.byChecksums.iterate(chunk)) {
        const list = found.get(row.checksum!) ?? [];
        if (list.length < limit) list.push(toEntry(row));
        found.set(row.checksum!, list);
      }
    }
    return found;
  }

  /** Recorded files holding this content (to copy locally instead of downloading). */
  findByChecksum(checksum: string, limit = 4): RecordedEntry[] {
    return this.stmts.byChecksum.all(checksum, limit).map(toEntry);
  }

  /** The recorded entries directly in one directory ('' for the top of the root), by path. */
  childEntries(baseDir: string, dir: string): RecordedEntry[] {
    return this.stmts.children.all(baseDir, dir === '' ? '' : `${dir}/`).map(toEntry);
  }

  /**
   * Every recorded entry below a directory (not the root; not the directory itself), by path, a
   * page at a time: only one page is held, and the store may be queried between pages.
   */
  *entryPagesBelow(baseDir: string, dir: string, pageSize = 1000): IterableIterator<RecordedEntry[]> {
    // Paths below `dir` sort between `dir/` and `dir0`: '0' is the byte after '/'.
    const end = `${dir}0`;
    let after = `${dir}/`;
    for (;;) {
      const rows = this.stmts.below.all(baseDir, after, end, pageSize);
      if (rows.length > 0) yield rows.map(toEntry);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.path;
    }
  }

  /**
   * As entryPagesBelow, by path from the last: what lies below a directory comes in its page or
   * an earlier one, so deleting page by page empties each directory before its own turn.
   */
  *entryPagesBelowDeepestFirst(baseDir: string, dir: string, pageSize = 1000): IterableIterator<RecordedEntry[]> {
    const start = `${dir}/`;
    let before = `${dir}0`;
    for (;;) {
      const rows = this.stmts.belowDeepestFirst.all(baseDir, start, before, pageSize);
      if (rows.length > 0) yield rows.map(toEntry);
      if (rows.length < pageSize) return;
      before = rows[rows.length - 1]!.path;
    }
  }

  /** The files R received into a base dir (with their content), by path, a page at a time. */
  *receivedFilePages(baseDir: string, pageSize = 1000): IterableIterator<RecordedEntry[]> {
    let after = '';
    for (;;) {
      const rows = this.stmts.receivedAfter.all(baseDir, after, pageSize);
      if (rows.length > 0) yield rows.map(toEntry);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.path;
    }
  }

  /** How many files R received into a base dir (with their content). */
  receivedFileCount(baseDir: string): number {
    return this.stmts.receivedFiles.get(baseDir)?.n ?? 0;
  }

  /**
   * Recorded paths the current resync pass has not confirmed (candidates for the sweep), in
   * path order after `afterPath`, at most `limit` of them.
   */
  unseenEntries(baseDir: string, generation: number, afterPath = '', limit = 5000): RecordedEntry[] {
    return this.stmts.unseen.all(baseDir, generation, afterPath, limit).map(toEntry);
  }

  /**
   * Notes the contents a batch may rename into place, with E's bits for them (sql/005, 010), and
   * the older ones its page shows E holding (`placed` false, sql/016), and the directories it may
   * make or remove (`dirs`, sql/013), in one transaction, before the batch touches the disk.
   */
  notePlacements(placements: readonly (EntryKey & Placement)[], dirs: readonly EntryKey[] = []): void {
    if (placements.length === 0 && dirs.length === 0) return;
    const notes: Note[] = [
      ...placements.map(({ base_dir, path, checksum, mode, sequence, placed }) => ({ base_dir, path, checksum, mode, kind: 'file' as const, sequence: sequence ?? null, placed: placed === false ? (0 as const) : (1 as const) })),
      ...dirs.map(({ base_dir, path }) => ({ base_dir, path, checksum: '', mode: null, kind: 'dir' as const, sequence: null, placed: 0 as const })),
    ];
    try {
      this.db.transaction(() => {
        for (const note of notes) {
          this.stmts.renotePlacement.run(note);
          this.stmts.notePlacement.run(note);
          this.stmts.raisePlaced.run(note);
          if (note.sequence !== null) this.stmts.raisePlacementSequence.run(note);
        }
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /**
   * Marks a batch of E's changes to the roots `baseDirs` as under way, its placement notes with it
   * (one transaction), before it touches R's disk; commitBatch with `endsBatch` ends it for the
   * roots it names. A mark still there when the next batch opens means a batch stopped abruptly
   * (kill -9, a crash, a pass that threw) between the two: those roots may hold effects of E's
   * changes not recorded yet, which only a pull of them tells from R's own edits. Such roots are
   * kept as left behind (`batch_left`) until nothing of them can remain unrecorded (commitBatch,
   * finishBatches), not merely until the next batch is recorded: that batch may be cut before it
   * reached the paths the stopped one placed. Its own notes say which paths those are (sql/011):
   * a note of a later batch's failed path (it placed nothing) does not keep the mark. Kept per
   * root: a pull of other roots says nothing about these. `dirs`: the directories the batch may
   * make or remove, noted too (sql/013): a batch of only those notes no content.
   */
  openBatch(placements: readonly (EntryKey & Placement)[], baseDirs: readonly string[], dirs: readonly EntryKey[] = []): void {
    try {
      this.db.transaction(() => {
        const open = this.markedDirs('batch_open');
        const left = this.markedDirs('batch_left');
        if (open.length > 0) {
          this.setMarked('batch_left', [...left, ...open]);
          this.stmts.stopOpenPlacements.run();
        }
        this.setMarked('batch_open', baseDirs);
        this.notePlacements(placements, dirs);
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /** Whether a batch of one of these roots was opened and never recorded, or its effects not all yet (see openBatch). */
  hasUnfinishedBatch(baseDirs: readonly string[]): boolean {
    const marked = new Set([...this.markedDirs('batch_open'), ...this.markedDirs('batch_left'), ...this.markedDirs('batch_untracked')]);
    return baseDirs.some((name) => marked.has(name));
  }

  /**
   * Of these roots, those a stopped batch left behind, each with (at most `limit`) paths its notes
   * name that no pull has recorded since. `why`: 'in-flight', the batch open when the run was
   * killed, no batch opened since (asked by an upload, while none runs); 'unrecorded', a pull since
   * did not record it; 'awaits-e', E could not serve it since (NOT_FOUND).
   */
  unfinishedPaths(baseDirs: readonly string[], limit = 3): { base_dir: string; path: string; why: 'in-flight' | 'unrecorded' | 'awaits-e' }[] {
    const open = new Set(this.markedDirs('batch_open'));
    const left = new Set(this.markedDirs('batch_left'));
    const why = (batch: number) => (batch === 3 ? 'awaits-e' : batch === 2 ? 'unrecorded' : 'in-flight');
    return baseDirs
      .filter((name) => open.has(name) || left.has(name))
      .flatMap((name) => this.stmts.stoppedPlacementPaths.all(name, open.has(name) ? 1 : 2, limit).map((row) => ({ base_dir: name, path: row.path, why: why(row.batch) })));
  }

  /**
   * A pass reached the end of E's log for these roots with nothing left to retry: every path a
   * stopped batch touched had an entry after the recorded position, now applied and recorded (or
   * deleted as E's, a resync's sweep included). Their marks go, but where E could not serve such a
   * path (NOT_FOUND, sql/011: 3): the file there may be E's content E has deleted since, and only
   * E's later entry for it tells.
   */
  finishBatches(baseDirs: readonly string[]): void {
    const done = new Set(baseDirs.filter((name) => this.stmts.anyAwaitedPlacementIn.get(name)!.found === 0));
    try {
      this.db.transaction(() => {
        for (const key of ['batch_open', 'batch_left', 'batch_untracked'] as const) {
          const marked = this.markedDirs(key);
          if (marked.some((name) => done.has(name))) this.setMarked(key, marked.filter((name) => !done.has(name)));
        }
        for (const name of done) this.stmts.endStoppedPlacements.run(name);
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /**
   * The roots a mark names. '1' (and anything unreadable) is the mark of a build that kept one for
   * every root: every root bound then. batch_untracked: marked by a build that noted no
   * directories (sql/013), ended only by a pass up to date (finishBatches).
   */
  private markedDirs(key: MarkKey): string[] {
    const value = this.meta(key);
    if (value === undefined || value === '0') return [];
    const all = () => this.stmts.boundRoots.all().map((row) => row.base_dir);
    if (value === '1') return all();
    try {
      const names: unknown = JSON.parse(value);
      return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : all();
    } catch {
      return all();
    }
  }

  private setMarked(key: MarkKey, names: readonly string[]): void {
    const unique = [...new Set(names)].sort();
    this.stmts.setMeta.run(key, unique.length === 0 ? '0' : JSON.stringify(unique));
  }

  /** Paths after `afterPath` with a note of a file's content and no record (a killed run's), by path. */
  unrecordedPlacements(baseDir: string, afterPath = '', limit = 5000): string[] {
    return this.stmts.unrecordedPlacements.all(baseDir, afterPath, limit).map((row) => row.path);
  }

  /** As unrecordedPlacements, the paths noted only as directories a batch may have made or removed (sql/013). */
  unrecordedDirPlacements(baseDir: string, afterPath = '', limit = 5000): string[] {
    return this.stmts.unrecordedDirPlacements.all(baseDir, afterPath, limit).map((row) => row.path);
  }

  /** Whether any placement note is left (by a batch not recorded yet, or a run killed mid-batch). */
  hasPlacements(): boolean {
    return this.stmts.anyPlacement.get()!.found === 1;
  }

  /** Contents (with E's bits) noted as possibly placed at these paths and not recorded since, by entryKeyString. */
  placements(keys: readonly EntryKey[]): Map<string, Placement[]> {
    const found = new Map<string, Placement[]>();
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = JSON.stringify(keys.slice(i, i + 1000).map((k) => [k.base_dir, k.path]));
      for (const row of this.stmts.placementsOf.iterate(chunk)) {
        const key = entryKeyString(row);
        found.set(key, [...(found.get(key) ?? []), { checksum: row.checksum, mode: row.mode, sequence: row.sequence ?? null, batch: row.batch, placed: row.placed !== 0 }]);
      }
    }
    return found;
  }

  /**
   * Of these paths, those where a batch not recorded noted a directory (sql/013), as
   * entryKeyString: it may have made one there. Asked before the next batch opens, when a batch
   * still marked open (1) is one a kill stopped, as 2 and 3 are. A resync's pages name only E's
   * current entries, so a later page need not show E making it any more.
   */
  stoppedDirNotes(keys: readonly EntryKey[]): Set<string> {
    const found = new Set<string>();
    if (!this.hasPlacements()) return found;
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = JSON.stringify(keys.slice(i, i + 1000).map((k) => [k.base_dir, k.path]));
      for (const row of this.stmts.stoppedDirNotesOf.iterate(chunk)) found.add(entryKeyString(row));
    }
    return found;
  }

  // ---- directories opened for a batch (see sql/008-opened-dirs.sql) ----

  /** Notes directories about to be opened, with their modes now, in one transaction; durable when this returns. */
  noteOpenedDirs(dirs: readonly OpenedDir[]): void {
    if (dirs.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const dir of dirs) this.stmts.noteOpenedDir.run(dir.base_dir, dir.path, dir.mode);
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /** Drops the notes of directories whose mode was given back (durably), in one transaction. */
  dropOpenedDirs(dirs: readonly EntryKey[]): void {
    if (dirs.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const dir of dirs) this.stmts.dropOpenedDir.run(dir.base_dir, dir.path);
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  /** Directories noted as opened and not given back since (a run killed mid-batch left them). */
  openedDirs(): OpenedDir[] {
    return this.stmts.allOpenedDirs.all();
  }

  /** Directories E deleted that R kept (see sql/003-kept-dirs.sql), with where E moved them if known (sql/014). */
  keptDirs(): KeptDir[] {
    return this.stmts.allKept.all().map(({ base_dir, path, moved_to_base_dir, moved_to_path }) =>
      moved_to_base_dir === null || moved_to_path === null ? { base_dir, path } : { base_dir, path, movedTo: { base_dir: moved_to_base_dir, path: moved_to_path } },
    );
  }

  /** How far a run read E's log past R's position while files waited for room (null: none kept). */
  readThrough(): ReadThrough | null {
    return decodeReadThrough(this.meta('read_through'));
  }

  /**
   * Records one durable batch in a single transaction: entries written or confirmed, entries
   * forgotten, directories kept or no longer kept, and (optionally) the new position — the
   * sequence that is then acknowledged.
   */
  commitBatch(batch: {
    upserts: readonly RecordedEntry[];
    removals: readonly EntryKey[];
    kept?: readonly KeptDir[];
    unkept?: readonly EntryKey[];
    sequence?: number;
    /** With `sequence`: the run that logged the page's end, at or after it (null: not told). */
    run?: LogRun | null;
    /**
     * Paths E could not serve (NOT_FOUND), `confirmed` the records kept as they were there: what a
     * stopped batch may have placed at them is not recorded by these, its notes stay (sql/011: 3).
     */
    unserved?: readonly EntryKey[];
    confirmed?: readonly RecordedEntry[];
    /**
     * The batch openBatch marked for these roots is recorded (what failed in it placed nothing);
     * one a stopped batch left behind is done only once none of its own notes is left.
     */
    endsBatch?: readonly string[];
    /** How far R read past `sequence` while files waited for room (core/room-pages.ts): kept with it. */
    readThrough?: ReadThrough;
  }): void {
    try {
      this.db.transaction(() => {
        for (const entry of batch.upserts) this.stmts.upsert.run({ ...entry, local_ctime_max: entry.local_ctime_max ?? null, local_mode: entry.local_mode ?? null });
        for (const key of batch.removals) this.stmts.remove.run(key.base_dir, key.path);
        // Recorded now: what may have been placed there no longer needs telling apart.
        for (const key of [...batch.upserts, ...batch.removals]) this.stmts.dropPlacements.run(key.base_dir, key.path);
        for (const entry of batch.confirmed ?? []) this.stmts.upsert.run({ ...entry, local_ctime_max: entry.local_ctime_max ?? null, local_mode: entry.local_mode ?? null });
        for (const key of batch.unserved ?? []) this.stmts.awaitPlacements.run(key.base_dir, key.path);
        for (const key of batch.kept ?? []) this.stmts.keep.run(key.base_dir, key.path, key.movedTo?.base_dir ?? null, key.movedTo?.path ?? null);
        for (const key of batch.unkept ?? []) this.stmts.unkeep.run(key.base_dir, key.path);
        if (batch.sequence !== undefined) this.stmts.setMeta.run('sequence', String(batch.sequence));
        if (batch.readThrough !== undefined) this.stmts.setMeta.run('read_through', encodeReadThrough(batch.readThrough));
        if (batch.run !== undefined) {
          this.stmts.setMeta.run('run_id', batch.run?.run_id ?? '');
          this.stmts.setMeta.run('run_sequence', String(batch.run?.sequence ?? 0));
        }
        if (batch.endsBatch) {
          const ended = new Set(batch.endsBatch);
          this.setMarked('batch_open', this.markedDirs('batch_open').filter((name) => !ended.has(name)));
          for (const name of ended) this.stmts.endOpenPlacements.run(name);
          // A root a stopped batch left behind: done once none of that batch's own notes is left,
          // after this batch's records dropped theirs. One at a path that failed here, or is not
          // reached yet, keeps it (finishBatches ends it with the pass); a note this batch wrote
          // for a path that failed does not (it placed nothing there).
          const left = this.markedDirs('batch_left');
          const done = left.filter((name) => ended.has(name) && this.stmts.anyStoppedPlacementIn.get(name)!.found === 0);
          if (done.length > 0) this.setMarked('batch_left', left.filter((name) => !done.includes(name)));
        }
      })();
    } catch (err) {
      throw diskFullOr(err, this.path);
    }
  }

  close(): void {
    this.db.close();
  }
}
