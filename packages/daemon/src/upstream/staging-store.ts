// SQL access to the upstream staging tables (sql/002-staging.sql), shared by the daemon (which
// stages) and zync-apply (which lists, shows, applies and discards). It owns the session status
// rules at the row level: a session becomes complete only from in_progress, applied only from
// complete, aborted only from in_progress, discarded only from complete with no entry touched by an
// apply. It must not touch files; the caller moves bytes.
import type Database from 'better-sqlite3';
import type { ChangeOperation, EntryKind } from '@zync/common';

export type SessionStatus = 'in_progress' | 'complete' | 'applied' | 'aborted' | 'discarded';
export type ApplyState = 'pending' | 'applying' | 'applied';
/** How an entry was resolved by zync-apply. */
export type Resolution = 'upstream' | 'kept_e' | 'kept_both' | 'unchanged';

export interface StagingSession {
  staging_id: string;
  client_id: string;
  /** R's host name as its client gave it (null: an older client, or staged before zync recorded it). */
  host_name: string | null;
  status: SessionStatus;
  created: number;
  updated: number;
  file_count: number;
  received_count: number;
  conflict_count: number;
  total_bytes: number;
  reason: string | null;
  /** E's last log sequence when zync-apply first began applying it (null: not begun, or by an older zync-apply). */
  applied_from: number | null;
}

export interface StagedEntry {
  staging_id: string;
  entry_no: number;
  base_dir: string;
  path: string;
  kind: EntryKind;
  operation: ChangeOperation;
  checksum: string | null;
  size: number;
  mode: number | null;
  /** The permission bits of the file R edited from (null: unknown, or new on R). */
  base_mode: number | null;
  mtime: number | null;
  base_checksum: string | null;
  e_checksum: string | null;
  conflict: boolean;
  blob: string | null;
  apply_state: ApplyState;
  resolution: Resolution | null;
  backup: string | null;
  copy_path: string | null;
  applied_at: number | null;
}

/** What another session of the same client put at a path on E (StagingStore.otherRVersions). */
export interface RVersion {
  base_dir: string;
  path: string;
  kind: EntryKind;
  operation: ChangeOperation;
  checksum: string | null;
  staging_id: string;
  /** That session was staged before the one asked about. */
  earlier: boolean;
}

/** Paths of a pending session that later sessions of the same client hold too (supersededSessions). */
export interface Superseded {
  count: number;
  /** Those later sessions, oldest first. */
  by: string[];
}

export type NewStagedEntry = Omit<StagedEntry, 'apply_state' | 'resolution' | 'backup' | 'copy_path' | 'applied_at' | 'base_mode'> &
  Partial<Pick<StagedEntry, 'base_mode'>>;

type EntryRow = Omit<StagedEntry, 'conflict'> & { conflict: number };

const toEntry = (row: EntryRow): StagedEntry => ({ ...row, conflict: row.conflict === 1 });

export class StagingStore {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  createSession(s: { staging_id: string; client_id: string; host_name?: string | undefined; file_count: number; now: number }): void {
    this.db
      .prepare(
        `INSERT INTO staging_sessions (staging_id, client_id, host_name, status, created, updated, file_count)
         VALUES (?, ?, ?, 'in_progress', ?, ?, ?)`,
      )
      .run(s.staging_id, s.client_id, s.host_name ?? null, s.now, s.now, s.file_count);
  }

  /** Records one fully staged entry and updates the session's counters, atomically. */
  addEntry(e: NewStagedEntry): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO staging_entries (staging_id, entry_no, base_dir, path, kind, operation, checksum, size, mode, base_mode, mtime,
             base_checksum, e_checksum, conflict, blob)
           VALUES (@staging_id, @entry_no, @base_dir, @path, @kind, @operation, @checksum, @size, @mode, @base_mode, @mtime,
             @base_checksum, @e_checksum, @conflict, @blob)`,
        )
        .run({ ...e, base_mode: e.base_mode ?? null, conflict: e.conflict ? 1 : 0 });
      this.db
        .prepare(
          `UPDATE staging_sessions SET received_count = received_count + 1, conflict_count = conflict_count + ?,
             total_bytes = total_bytes + ? WHERE staging_id = ? AND status = 'in_progress'`,
        )
        .run(e.conflict ? 1 : 0, e.size, e.staging_id);
    })();
  }

  /**
   * Takes a staged entry back out of a session still in progress (DROP_UPSTREAM_FILE with
   * `staged`), undoing what addEntry counted and announcing one entry fewer, atomically.
   * Returns false when the session is no longer in progress (then nothing changes).
   */
  removeEntry(e: Pick<StagedEntry, 'staging_id' | 'base_dir' | 'path' | 'conflict' | 'size'>): boolean {
    return this.db.transaction(() => {
      const changed = this.db
        .prepare(
          `UPDATE staging_sessions SET file_count = file_count - 1, received_count = received_count - 1,
             conflict_count = conflict_count - ?, total_bytes = total_bytes - ? WHERE staging_id = ? AND status = 'in_progress'`,
        )
        .run(e.conflict ? 1 : 0, e.size, e.staging_id).changes;
      if (changed !== 1) return false;
      this.db.prepare(`DELETE FROM staging_entries WHERE staging_id = ? AND base_dir = ? AND path = ?`).run(e.staging_id, e.base_dir, e.path);
      return true;
    })();
  }

  /** R left an announced entry out (-1, DROP_UPSTREAM_FILE) or sent it again after all (+1). */
  adjustFileCount(stagingId: string, delta: 1 | -1): void {
    this.db
      .prepare(`UPDATE staging_sessions SET file_count = file_count + ? WHERE staging_id = ? AND status = 'in_progress'`)
      .run(delta, stagingId);
  }

  /** in_progress -> complete; returns the session, or null when it was not in progress. */
  completeSession(stagingId: string, now: number): StagingSession | null {
    const changed = this.db
      .prepare(`UPDATE staging_sessions SET status = 'complete', updated = ? WHERE staging_id = ? AND status = 'in_progress'`)
      .run(now, stagingId).changes;
    return changed === 1 ? this.getSession(stagingId) : null;
  }

  /** in_progress -> aborted; returns false when the session was no longer in progress. */
  abortSession(stagingId: string, reason: string, now: number): boolean {
    return (
      this.db
        .prepare(`UPDATE staging_sessions SET status = 'aborted', reason = ?, updated = ? WHERE staging_id = ? AND status = 'in_progress'`)
        .run(reason, now, stagingId).changes === 1
    );
  }

  /**
   * Notes where E's log stands as an apply begins, before it looks at E's files: at each run
   * until one touches an entry, so that it is the start of the run that first did (one that
   * changed nothing, quit at its first prompt, leaves it to the next). Not once an entry has been
   * touched: by this run or an earlier one, or by a run of an older zync-apply that noted none,
   * E's entries since would pass for ones that predate the apply.
   */
  noteApplyStart(stagingId: string, sequence: number): void {
    this.db
      .prepare(
        `UPDATE staging_sessions SET applied_from = ? WHERE staging_id = ? AND status = 'complete'
           AND NOT EXISTS (SELECT 1 FROM staging_entries WHERE staging_id = ? AND apply_state != 'pending')`,
      )
      .run(sequence, stagingId, stagingId);
  }

  /** complete -> applied; returns false when the session was not complete. */
  markSessionApplied(stagingId: string, now: number): boolean {
    return (
      this.db
        .prepare(`UPDATE staging_sessions SET status = 'applied', updated = ? WHERE staging_id = ? AND status = 'complete'`)
        .run(now, stagingId).changes === 1
    );
  }

  /**
   * complete -> discarded, only while no entry was applied or is being applied (an apply touched
   * E's disk for it); returns false otherwise. The row stays (list --all, and R asks about it).
   */
  discardSession(stagingId: string, reason: string, now: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE staging_sessions SET status = 'discarded', reason = ?, updated = ? WHERE staging_id = ? AND status = 'complete'
             AND NOT EXISTS (SELECT 1 FROM staging_entries WHERE staging_id = ? AND apply_state != 'pending')`,
        )
        .run(reason, now, stagingId, stagingId).changes === 1
    );
  }

  /** How many of a session's entries an apply touched: applied, or marked applying before E's disk was. */
  touchedCount(stagingId: string): number {
    return (
      this.db.prepare(`SELECT COUNT(*) AS n FROM staging_entries WHERE staging_id = ? AND apply_state != 'pending'`).get(stagingId) as {
        n: number;
      }
    ).n;
  }

  /**
   * The given sessions of one client, with how many entries of each are applied; ids that are
   * unknown or another client's are left out (a client learns nothing of others' sessions).
   */
  sessionsOfClient(clientId: string, stagingIds: readonly string[]): (StagingSession & { applied_count: number })[] {
    const get = this.db.prepare(
      `SELECT s.*, (SELECT COUNT(*) FROM staging_entries e WHERE e.staging_id = s.staging_id AND e.apply_state = 'applied') AS applied_count
         FROM staging_sessions s WHERE s.staging_id = ? AND s.client_id = ?`,
    );
    const found: (StagingSession & { applied_count: number })[] = [];
    for (const id of new Set(stagingIds)) {
      const row = get.get(id, clientId) as (StagingSession & { applied_count: number }) | undefined;
      if (row) found.push(row);
    }
    return found;
  }

  /**
   * Staged files with this content in this client's sessions still waiting for zync-apply
   * (complete, partly applied or not): where their blobs lie below the staging root. Another
   * client's are left out: its staged bytes are not this one's to place in E's tree. The blob may
   * be gone by the time it is read (an apply or a discard finishing); the reader checks what it copies.
   */
  waitingBlobsWithChecksum(clientId: string, checksum: string, size: number, limit: number): { staging_id: string; blob: string }[] {
    return this.db
      .prepare(
        `SELECT e.staging_id, e.blob FROM staging_entries e JOIN staging_sessions s ON s.staging_id = e.staging_id
          WHERE e.checksum = ? AND e.size = ? AND e.kind = 'file' AND e.operation != 'delete' AND e.blob IS NOT NULL
            AND s.status = 'complete' AND s.client_id = ?
          LIMIT ?`,
      )
      .all(checksum, size, clientId, limit) as { staging_id: string; blob: string }[];
  }

  getSession(stagingId: string): StagingSession | null {
    const row = this.db.prepare(`SELECT * FROM staging_sessions WHERE staging_id = ?`).get(stagingId) as StagingSession | undefined;
    return row ?? null;
  }

  /** Newest first; without `all`, only sessions still waiting to be applied. */
  listSessions(options: { all?: boolean } = {}): StagingSession[] {
    const where = options.all ? '' : `WHERE status = 'complete'`;
    return this.db.prepare(`SELECT * FROM staging_sessions ${where} ORDER BY created DESC, staging_id DESC`).all() as StagingSession[];
  }

  /** How many of a session's entries are applied (an interrupted apply leaves 0 < n < file_count). */
  appliedCount(stagingId: string): number {
    return (
      this.db.prepare(`SELECT COUNT(*) AS n FROM staging_entries WHERE staging_id = ? AND apply_state = 'applied'`).get(stagingId) as {
        n: number;
      }
    ).n;
  }

  sessionsWithStatus(status: SessionStatus): StagingSession[] {
    return this.db.prepare(`SELECT * FROM staging_sessions WHERE status = ? ORDER BY created`).all(status) as StagingSession[];
  }

  listEntries(stagingId: string): StagedEntry[] {
    const rows = this.db
      .prepare(`SELECT * FROM staging_entries WHERE staging_id = ? ORDER BY entry_no`)
      .all(stagingId) as EntryRow[];
    return rows.map(toEntry);
  }

  /**
   * R's versions of this session's paths that other sessions from the same client put on E
   * (applied, as R's content or found already there), each with whether that session was staged
   * before this one. They let zync-apply tell R's own earlier edit on E from one of E's.
   */
  otherRVersions(stagingId: string): RVersion[] {
    const rows = this.db
      .prepare(
        `SELECT o.base_dir, o.path, o.kind, o.operation, o.checksum, o.staging_id, s.created < ms.created AS earlier
           FROM staging_entries me
           JOIN staging_sessions ms ON ms.staging_id = me.staging_id
           JOIN staging_entries o ON o.base_dir = me.base_dir AND o.path = me.path AND o.staging_id != me.staging_id
           JOIN staging_sessions s ON s.staging_id = o.staging_id
          WHERE me.staging_id = ? AND s.client_id = ms.client_id AND s.created != ms.created
            AND o.apply_state = 'applied' AND o.resolution IN ('upstream', 'unchanged')
          ORDER BY s.created`,
      )
      .all(stagingId) as (Omit<RVersion, 'earlier'> & { earlier: number })[];
    return rows.map((r) => ({ ...r, earlier: r.earlier === 1 }));
  }

  /**
   * For each session still waiting to be applied: how many of its paths a later session from
   * the same client holds too (complete or applied: R sent a newer version of them), and which
   * sessions those are, oldest first. Sessions with none are left out.
   */
  supersededSessions(): Map<string, Superseded> {
    const rows = this.db
      .prepare(
        `SELECT me.staging_id, COUNT(DISTINCT me.base_dir || char(0) || me.path) AS count, group_concat(DISTINCT o.staging_id) AS later
           FROM staging_sessions ms
           JOIN staging_entries me ON me.staging_id = ms.staging_id
           JOIN staging_entries o ON o.base_dir = me.base_dir AND o.path = me.path AND o.staging_id != me.staging_id
           JOIN staging_sessions s ON s.staging_id = o.staging_id
          WHERE ms.status = 'complete' AND s.client_id = ms.client_id AND s.created > ms.created AND s.status IN ('complete', 'applied')
          GROUP BY me.staging_id`,
      )
      .all() as { staging_id: string; count: number; later: string }[];
    const created = (id: string) => this.getSession(id)?.created ?? 0;
    return new Map(
      rows.map((r) => [r.staging_id, { count: r.count, by: r.later.split(',').sort((a, b) => created(a) - created(b) || (a < b ? -1 : 1)) }]),
    );
  }

  getEntry(stagingId: string, baseDir: string, path: string): StagedEntry | null {
    const row = this.db
      .prepare(`SELECT * FROM staging_entries WHERE staging_id = ? AND base_dir = ? AND path = ?`)
      .get(stagingId, baseDir, path) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  /**
   * Written before E's disk is touched, so a crashed apply knows which entry it was on (and,
   * for keep-both, the conflict copy it was writing: `<base_dir>/<path>`).
   */
  markEntryApplying(stagingId: string, baseDir: string, path: string, backup: string | null, copyPath: string | null = null): void {
    this.db
      .prepare(
        `UPDATE staging_entries SET apply_state = 'applying', backup = COALESCE(?, backup), copy_path = COALESCE(?, copy_path)
         WHERE staging_id = ? AND base_dir = ? AND path = ? AND apply_state != 'applied'`,
      )
      .run(backup, copyPath, stagingId, baseDir, path);
  }

  markEntryApplied(
    stagingId: string,
    baseDir: string,
    path: string,
    done: { resolution: Resolution; backup: string | null; copy_path: string | null; now: number },
  ): void {
    this.db
      .prepare(
        `UPDATE staging_entries SET apply_state = 'applied', resolution = ?, backup = COALESCE(?, backup), copy_path = ?,
           applied_at = ? WHERE staging_id = ? AND base_dir = ? AND path = ?`,
      )
      .run(done.resolution, done.backup, done.copy_path, done.now, stagingId, baseDir, path);
  }

  /** Runs fn in one IMMEDIATE transaction (nested transactions become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
