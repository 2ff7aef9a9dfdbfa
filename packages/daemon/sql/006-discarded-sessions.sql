-- zync: foreign keys off
-- 006: a complete session E's user discarded (`zync-apply discard`) becomes 'discarded': never
-- appliable, its staged files removed, its row kept for `list --all` and for R, which asks
-- (UPSTREAM_STATUS) and then sends those edits again. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt, foreign keys off meanwhile and checked before the commit
-- (migrations.ts); staging_entries refers to it by name and so to the rebuilt one.

CREATE TABLE staging_sessions_new (
  staging_id     TEXT PRIMARY KEY,
  client_id      TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('in_progress', 'complete', 'applied', 'aborted', 'discarded')),
  created        INTEGER NOT NULL,            -- ms since the epoch
  updated        INTEGER NOT NULL,            -- ms since the epoch, last status change
  file_count     INTEGER NOT NULL,            -- entries announced by PREPARE_UPSTREAM
  received_count INTEGER NOT NULL DEFAULT 0,  -- entries fully staged so far
  conflict_count INTEGER NOT NULL DEFAULT 0,  -- entries classified as conflicts at staging time
  total_bytes    INTEGER NOT NULL DEFAULT 0,  -- staged content bytes
  reason         TEXT                         -- why a session was aborted or discarded
);

INSERT INTO staging_sessions_new SELECT staging_id, client_id, status, created, updated, file_count, received_count,
  conflict_count, total_bytes, reason FROM staging_sessions;
DROP TABLE staging_sessions;
ALTER TABLE staging_sessions_new RENAME TO staging_sessions;
CREATE INDEX staging_sessions_status ON staging_sessions (status);

-- Sessions over the same paths (zync-apply's "superseded", R's earlier versions) are found by path.
CREATE INDEX staging_entries_path ON staging_entries (base_dir, path);
