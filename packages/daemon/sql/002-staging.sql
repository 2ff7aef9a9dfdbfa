-- Upstream staging (R -> E). R's edits are staged here on receipt and applied later, by a person
-- running zync-apply. Nothing in E's watched roots changes when a session is staged; the bytes of
-- each staged file live under <statedir>/zync-staging/<staging_id>/<blob>.
--
-- A session moves in_progress -> complete (FINALIZE_UPSTREAM, every announced entry arrived)
-- -> applied (zync-apply resolved every entry), or in_progress -> aborted (its connection closed
-- before FINALIZE, or the disk filled up; its files are deleted). Only complete sessions are
-- appliable.

CREATE TABLE staging_sessions (
  staging_id     TEXT PRIMARY KEY,
  client_id      TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('in_progress', 'complete', 'applied', 'aborted')),
  created        INTEGER NOT NULL,            -- ms since the epoch
  updated        INTEGER NOT NULL,            -- ms since the epoch, last status change
  file_count     INTEGER NOT NULL,            -- entries announced by PREPARE_UPSTREAM
  received_count INTEGER NOT NULL DEFAULT 0,  -- entries fully staged so far
  conflict_count INTEGER NOT NULL DEFAULT 0,  -- entries classified as conflicts at staging time
  total_bytes    INTEGER NOT NULL DEFAULT 0,  -- staged content bytes
  reason         TEXT                         -- why a session was aborted
);

CREATE INDEX staging_sessions_status ON staging_sessions (status);

-- One row per staged path. `checksum` is R's new content (null for a delete); `base_checksum`
-- is what R last received from E (null: the file was new on R); `e_checksum` is E's content when
-- the entry was staged (null: absent on E; 'dir': a directory). `conflict` is the
-- classification at staging time; zync-apply re-checks against E's disk before it writes.
-- A `kind = 'dir'` entry is a directory R created (add) or removed (delete): no content.
CREATE TABLE staging_entries (
  staging_id    TEXT NOT NULL REFERENCES staging_sessions (staging_id),
  entry_no      INTEGER NOT NULL,            -- order of arrival within the session, from 1
  base_dir      TEXT NOT NULL,
  path          TEXT NOT NULL,
  kind          TEXT NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'dir')),
  operation     TEXT NOT NULL CHECK (operation IN ('add', 'modify', 'delete')),
  checksum      TEXT,
  size          INTEGER NOT NULL,
  mode          INTEGER,
  mtime         REAL,
  base_checksum TEXT,
  e_checksum    TEXT,
  conflict      INTEGER NOT NULL CHECK (conflict IN (0, 1)),
  blob          TEXT,                        -- file name below the session's staging dir; null for a delete
  -- Apply progress, so that an interrupted apply resumes without applying an entry twice:
  -- 'applying' is written before E's disk is touched, 'applied' after the change is recorded.
  apply_state   TEXT NOT NULL DEFAULT 'pending' CHECK (apply_state IN ('pending', 'applying', 'applied')),
  resolution    TEXT,                        -- upstream | kept_e | kept_both | unchanged
  backup        TEXT,                        -- where E's previous content was kept, if anywhere
  copy_path     TEXT,                        -- the conflict copy written for kept_both
  applied_at    INTEGER,
  PRIMARY KEY (staging_id, base_dir, path)
);
