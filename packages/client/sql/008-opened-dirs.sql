-- 008: directories a batch opened for their owner to write in them (E's 0555 made 0755, say),
-- each noted with its mode before the chmod that opens it and dropped once that mode is given
-- back and durable. The mode before lives nowhere else: after a kill -9 in between, the next
-- start gives it back (opened-dirs.ts), so R does not keep 0755 while its record says 0555.
CREATE TABLE opened_dirs (
  base_dir TEXT NOT NULL,
  path TEXT NOT NULL,
  mode INTEGER NOT NULL,
  PRIMARY KEY (base_dir, path)
) WITHOUT ROWID;
