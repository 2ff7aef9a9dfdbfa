// R's memory of what it already staged on E: per path, the staging session, the content and
// permission bits sent (null for a deletion) and the base it was edited from (content and bits), scoped to the
// daemon's log_id; and, while that lives, what each earlier session still held there. It lets
// --update-upstream skip a change that a pending session already holds unchanged, and the pull
// tell R's own edit applied on E from E's change (core/plan-pull.ts). Lives in the
// client database (sync_client.db) in its own table, created here if missing (CREATE ... IF NOT
// EXISTS, and columns added later by ALTER TABLE: additive, independent of the client store's
// numbered migrations), through its own connection (WAL). Decides nothing: plan-upstream.ts and
// plan-pull.ts compare.
import Database from 'better-sqlite3';
import { openFailure } from '../store/client-store.js';
import type { StagedRecord } from './plan-upstream.js';
import { fileKey } from './plan-upstream.js';


const SCHEMA = `
CREATE TABLE IF NOT EXISTS upstream_staged (
  base_dir      TEXT NOT NULL,
  path          TEXT NOT NULL,
  log_id        TEXT NOT NULL,   -- the daemon log the session belongs to
  staging_id    TEXT NOT NULL,
  kind          TEXT NOT NULL,   -- file | dir
  operation     TEXT NOT NULL,   -- add | modify | delete
  checksum      TEXT,            -- content sent; NULL for a deletion or a directory
  base_checksum TEXT,            -- what R had received when it sent it
  staged_at     INTEGER NOT NULL,
  mode          INTEGER,         -- permission bits sent; NULL for a deletion or a directory
  base_mode     INTEGER,         -- the bits R had received when it sent them; NULL but for a modify
  PRIMARY KEY (base_dir, path)
) STRICT;
-- What each session R sent a path in held for it, while the path's upstream_staged row lives:
-- that row keeps only the newest, and E may apply an older session first (ownEditReturned).
-- Rowid order is staging order. Trimmed of sessions that can no longer come back to R as its own
-- edit: those E discarded or aborted (forgetSessions), and those older than one a pulled page
-- showed reaching E (forgetReturned).
CREATE TABLE IF NOT EXISTS upstream_staged_sessions (
  base_dir      TEXT NOT NULL,
  path          TEXT NOT NULL,
  staging_id    TEXT NOT NULL,
  kind          TEXT NOT NULL,
  operation     TEXT NOT NULL,
  checksum      TEXT,
  base_checksum TEXT,
  mode          INTEGER,
  base_mode     INTEGER,
  UNIQUE (base_dir, path, staging_id)
) STRICT;
`;

/**
 * Tables made before a column existed get it here; their rows read NULL: sent again once (mode),
 * or E's chmod waits for E's apply, as it did (base_mode).
 */
const ADDED_COLUMNS = [
  { table: 'upstream_staged', name: 'mode', type: 'INTEGER' },
  { table: 'upstream_staged', name: 'base_mode', type: 'INTEGER' },
  { table: 'upstream_staged_sessions', name: 'base_mode', type: 'INTEGER' },
] as const;

export class StagedRecords {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(dbPath: string): StagedRecords {
    let db: Database.Database | undefined;
    try {
      db = new Database(dbPath);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      for (const { table, name, type } of ADDED_COLUMNS) {
        const columns = new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
        if (!columns.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
      return new StagedRecords(db);
    } catch (err) {
      db?.close();
      throw openFailure(err, dbPath);
    }
  }

  /** Records staged against this log_id, by fileKey. */
  load(logId: string): Map<string, StagedRecord> {
    const rows = this.db
      .prepare(`SELECT base_dir, path, staging_id, kind, operation, checksum, base_checksum, mode, base_mode FROM upstream_staged WHERE log_id = ?`)
      .all(logId) as StagedRecord[];
    return new Map(rows.map((r) => [fileKey(r.base_dir, r.path), r]));
  }

  /**
   * What R staged against this log_id at these paths in each session since its record began,
   * oldest first, by fileKey: the pull compares E's changes with them (core/plan-pull.ts,
   * ownEditReturned) before it forgets them.
   */
  lookup(logId: string, keys: readonly { base_dir: string; path: string }[]): Map<string, StagedRecord[]> {
    const found = new Map<string, StagedRecord[]>();
    // Asked for every batch R pulls: with nothing staged against this log (the usual case), no lookups.
    if (keys.length === 0 || !this.db.prepare(`SELECT 1 FROM upstream_staged WHERE log_id = ? LIMIT 1`).get(logId)) return found;
    const get = this.db.prepare(
      `SELECT base_dir, path, staging_id, kind, operation, checksum, base_checksum, mode, base_mode FROM upstream_staged WHERE log_id = ? AND base_dir = ? AND path = ?`,
    );
    const before = this.db.prepare(
      `SELECT base_dir, path, staging_id, kind, operation, checksum, base_checksum, mode, base_mode FROM upstream_staged_sessions
       WHERE base_dir = ? AND path = ? AND staging_id != ? ORDER BY rowid`,
    );
    for (const key of keys) {
      const row = get.get(logId, key.base_dir, key.path) as StagedRecord | undefined;
      // The row is the newest session (and the only one, in a table made before the history).
      if (row) found.set(fileKey(row.base_dir, row.path), [...(before.all(row.base_dir, row.path, row.staging_id) as StagedRecord[]), row]);
    }
    return found;
  }

  /**
   * The sessions behind the records of this log: those whose rows only the history keeps (each
   * path's newest session is its upstream_staged row's), for UPSTREAM_STATUS to say which were
   * discarded since.
   */
  olderSessions(logId: string): string[] {
    const rows = this.db
      .prepare(
        `SELECT DISTINCT h.staging_id FROM upstream_staged_sessions h
         JOIN upstream_staged r ON r.base_dir = h.base_dir AND r.path = h.path
         WHERE r.log_id = ? AND h.staging_id != r.staging_id ORDER BY h.staging_id`,
      )
      .all(logId) as { staging_id: string }[];
    return rows.map((r) => r.staging_id);
  }

  /**
   * Forgets what these sessions held, behind each path's newest record (which stays for
   * staged-states.ts to judge): sessions E discarded or aborted are never applied, so none of
   * their content can come back to R as R's own edit.
   */
  forgetSessions(stagingIds: readonly string[]): void {
    const forget = this.db.prepare(
      `DELETE FROM upstream_staged_sessions WHERE staging_id = ? AND NOT EXISTS (
         SELECT 1 FROM upstream_staged r WHERE r.base_dir = upstream_staged_sessions.base_dir AND r.path = upstream_staged_sessions.path AND r.staging_id = ?)`,
    );
    this.db.transaction(() => {
      for (const id of stagingIds) forget.run(id, id);
    })();
  }

  /**
   * After a finalized session: remembers what it holds, and forgets records for paths that no
   * longer differ from what R received (applied on E, or undone on R) among the base dirs just
   * scanned, and those of other logs.
   */
  update(
    logId: string,
    staged: readonly StagedRecord[],
    scanned: { baseDirs: ReadonlySet<string>; stillPending: ReadonlySet<string> },
    now: number,
  ): void {
    const { baseDirs, stillPending } = scanned;
    this.db.transaction(() => {
      const all = this.db.prepare(`SELECT base_dir, path, log_id FROM upstream_staged`).all() as { base_dir: string; path: string; log_id: string }[];
      for (const row of all) {
        const resolved = baseDirs.has(row.base_dir) && !stillPending.has(fileKey(row.base_dir, row.path));
        if (row.log_id !== logId || resolved) this.dropPath(row.base_dir, row.path);
      }
      const put = this.db.prepare(
        `INSERT INTO upstream_staged (base_dir, path, log_id, staging_id, kind, operation, checksum, base_checksum, mode, base_mode, staged_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (base_dir, path) DO UPDATE SET log_id = excluded.log_id, staging_id = excluded.staging_id,
           kind = excluded.kind, operation = excluded.operation, checksum = excluded.checksum,
           base_checksum = excluded.base_checksum, mode = excluded.mode, base_mode = excluded.base_mode, staged_at = excluded.staged_at`,
      );
      const keep = this.db.prepare(
        `INSERT OR REPLACE INTO upstream_staged_sessions (base_dir, path, staging_id, kind, operation, checksum, base_checksum, mode, base_mode)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of staged) {
        put.run(r.base_dir, r.path, logId, r.staging_id, r.kind, r.operation, r.checksum, r.base_checksum, r.mode, r.base_mode ?? null, now);
        keep.run(r.base_dir, r.path, r.staging_id, r.kind, r.operation, r.checksum, r.base_checksum, r.mode, r.base_mode ?? null);
      }
      // Immediate: a deferred transaction that reads first cannot wait for another writer's lock
      // (SQLite answers SQLITE_BUSY at once), and this record of a session E already finalized
      // must not be lost to a passing lock.
    }).immediate();
  }

  /** Forgets a path's record and the sessions behind it. */
  private dropPath(baseDir: string, path: string): number {
    this.db.prepare(`DELETE FROM upstream_staged_sessions WHERE base_dir = ? AND path = ?`).run(baseDir, path);
    return this.db.prepare(`DELETE FROM upstream_staged WHERE base_dir = ? AND path = ?`).run(baseDir, path).changes;
  }

  /**
   * After a pull committed a page: forgets the staged file contents that page showed E holding at
   * their paths — the session's change has reached R (applied on E, or E had those bytes anyway),
   * and whatever E did with the path next is E's change, pulled like any other. Kept, such a
   * record would take R's file, removed by E's later deletion, for an edit R undid (plan-reverts)
   * and stage a deletion of a file E no longer has. Likewise a directory R made (or removed) once
   * the page shows E making (or removing) a directory there: kept, R's made directory that E then
   * removed would go back to E as R's "undo", and one R still holds would wait for ever as
   * "applied on E", never sent again. A directory R removed is forgotten too once the page shows
   * E making one there: zync-apply logs E's directory again where it kept it (it held files R does
   * not have), and the pull makes it on R; kept, the record would stage that as R's "undo", or
   * wait for ever as "applied on E". Only records of this log.
   *
   * Where the page showed E holding what an older session sent (not the newest), the sessions
   * before that one are forgotten: it reached E after them, so their content on E is E's own
   * decision from now on (as sessionsStillReturning has it within a page), and R's base is that
   * session's content or E's later one. That session itself stays: a later one, edited from it,
   * returns on top of it. Content sent in several sessions counts for the first of them (fewer
   * forgotten): a wrong guess would only make a later session of R's look like E's change.
   */
  forgetReturned(
    logId: string,
    contents: readonly { base_dir: string; path: string; checksum: string }[],
    dirs: readonly { base_dir: string; path: string; removed: boolean }[] = [],
  ): void {
    // Called for every page R pulls: with nothing staged against this log (the usual case) there
    // is nothing to forget, and no transaction of ~5,000 deletes to run.
    if (contents.length + dirs.length === 0 || !this.db.prepare(`SELECT 1 FROM upstream_staged WHERE log_id = ? LIMIT 1`).get(logId)) return;
    const drop = this.db.prepare(
      `DELETE FROM upstream_staged WHERE log_id = ? AND base_dir = ? AND path = ? AND kind = 'file' AND operation != 'delete' AND checksum = ?`,
    );
    const dropDir = this.db.prepare(`DELETE FROM upstream_staged WHERE log_id = ? AND base_dir = ? AND path = ? AND kind = 'dir' AND operation IN (?, ?)`);
    const dropSessions = this.db.prepare(`DELETE FROM upstream_staged_sessions WHERE base_dir = ? AND path = ?`);
    const dropBefore = this.db.prepare(
      `DELETE FROM upstream_staged_sessions WHERE base_dir = @base_dir AND path = @path
         AND EXISTS (SELECT 1 FROM upstream_staged WHERE log_id = @logId AND base_dir = @base_dir AND path = @path)
         AND rowid < (SELECT MIN(rowid) FROM upstream_staged_sessions
                      WHERE base_dir = @base_dir AND path = @path AND kind = 'file' AND operation != 'delete' AND checksum = @checksum)`,
    );
    this.db.transaction(() => {
      for (const c of contents) {
        if (drop.run(logId, c.base_dir, c.path, c.checksum).changes > 0) dropSessions.run(c.base_dir, c.path);
        else dropBefore.run({ base_dir: c.base_dir, path: c.path, logId, checksum: c.checksum });
      }
      for (const d of dirs) {
        if (dropDir.run(logId, d.base_dir, d.path, d.removed ? 'delete' : 'add', 'delete').changes > 0) dropSessions.run(d.base_dir, d.path);
      }
    })();
  }

  /**
   * After a pull committed a page: forgets the paths that page brought an entry for whose newest
   * session E reports applied (core/plan-pull.ts, settled). E's entry there is E's state after
   * the apply — R's edit returned (forgetReturned) or E's version kept over it, which the pull has
   * just given R, with R's edit as a conflict copy. Kept, such a record would say for ever that the
   * change "reaches R at its next pull", or send E's version back as R's undo (plan-reverts). An
   * older session applied while a later one waits stays: a later one returning may build on it
   * (ownEditReturned). Only records of this log.
   */
  forgetSettled(logId: string, settled: readonly { base_dir: string; path: string; staging_id: string }[]): void {
    if (settled.length === 0) return;
    const newest = this.db.prepare(`SELECT 1 FROM upstream_staged WHERE log_id = ? AND base_dir = ? AND path = ? AND staging_id = ?`);
    this.db.transaction(() => {
      for (const s of settled) if (newest.get(logId, s.base_dir, s.path, s.staging_id)) this.dropPath(s.base_dir, s.path);
    })();
  }

  /**
   * Forgets what R staged in a base dir whose local root went missing (core/missing-roots.ts): R
   * holds none of those edits any more, and E's files fetched in their place are no undo of them
   * (plan-reverts.ts would send them back as one); the sessions on E wait for the person there.
   */
  forgetBaseDir(baseDir: string): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM upstream_staged_sessions WHERE base_dir = ?`).run(baseDir);
      this.db.prepare(`DELETE FROM upstream_staged WHERE base_dir = ?`).run(baseDir);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
