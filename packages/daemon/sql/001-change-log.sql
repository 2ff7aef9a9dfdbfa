-- 001: the change log of E's trees.
--
-- meta     key/value facts about this database: log_id (random, made here, never changed; a new
--          log_id tells clients the log was recreated), dirs (JSON [{name, root}] as last run),
--          compacted_through (entries at or below it may have been dropped by compaction).
-- files    the current state of every path ever seen, per (base_dir, path). A deleted path stays
--          as a tombstone (deleted = 1) so its last sequence is known. ino, size and mtime let a
--          scan skip re-hashing what did not change.
-- changes  the append-only log. AUTOINCREMENT: a sequence is never reused, even after the
--          newest rows are removed; sqlite_sequence holds the highest ever allocated.
-- clients  per client_id (from HELLO), the last acknowledged sequence.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES
  ('log_id', lower(hex(randomblob(16)))),
  ('dirs', '[]'),
  ('compacted_through', '0');

CREATE TABLE files (
  base_dir TEXT    NOT NULL,
  path     TEXT    NOT NULL,
  kind     TEXT    NOT NULL CHECK (kind IN ('file', 'dir')),
  checksum TEXT,                        -- lowercase hex SHA-256; NULL for dirs and tombstones
  size     INTEGER NOT NULL DEFAULT 0,
  mtime    REAL    NOT NULL DEFAULT 0,  -- milliseconds since the epoch, as stat reports it
  mode     INTEGER NOT NULL DEFAULT 0,  -- permission bits only (0..0o7777)
  ino      INTEGER NOT NULL DEFAULT 0,
  deleted  INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  sequence INTEGER NOT NULL,            -- the change that produced this state
  PRIMARY KEY (base_dir, path)
) WITHOUT ROWID;

CREATE TABLE changes (
  sequence  INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp REAL    NOT NULL,           -- when the change was recorded, ms since the epoch
  operation TEXT    NOT NULL CHECK (operation IN ('add', 'modify', 'delete')),
  kind      TEXT    NOT NULL CHECK (kind IN ('file', 'dir')),
  base_dir  TEXT    NOT NULL,
  path      TEXT    NOT NULL,
  checksum  TEXT,
  size      INTEGER NOT NULL DEFAULT 0,
  mtime     REAL    NOT NULL DEFAULT 0,
  mode      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE clients (
  client_id TEXT PRIMARY KEY,
  last_ack  INTEGER NOT NULL DEFAULT 0,
  last_seen REAL    NOT NULL
) WITHOUT ROWID;
