-- Client state on R (sync_client.db). Applied once by the store; PRAGMA user_version tracks it.

-- Key/value facts about this client:
--   client_id   random id sent in HELLO, made when the database is created
--   log_id      the daemon log the position below belongs to
--   sequence    last sequence applied, made durable and acknowledged
--   generation  bumped at each full resync; entries seen during the pass carry it
--   resyncing   1 while a full pass from 0 is under way (its sweep has not run yet)
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- The local root each base_dir was synced into; a changed root invalidates its entries.
CREATE TABLE roots (
  base_dir TEXT PRIMARY KEY,
  root     TEXT NOT NULL
) STRICT;

-- Per path, what R last received from E (kind, checksum, size, mtime, mode as E reported them)
-- and the local stat right after writing it (local_*): the base for "did R edit this?" and for
-- "what goes upstream?". A row exists only for paths whose effect is durable on R.
CREATE TABLE entries (
  base_dir    TEXT    NOT NULL,
  path        TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('file', 'dir')),
  checksum    TEXT,
  size        INTEGER NOT NULL,
  mtime       REAL    NOT NULL,
  mode        INTEGER NOT NULL,
  local_size  INTEGER,
  local_mtime REAL,
  local_ino   INTEGER,
  sequence    INTEGER NOT NULL,
  seen_gen    INTEGER NOT NULL,
  PRIMARY KEY (base_dir, path)
) STRICT;

-- Finds content R already holds under another name (a rename on E is a local copy on R).
CREATE INDEX entries_by_checksum ON entries (checksum) WHERE checksum IS NOT NULL;
