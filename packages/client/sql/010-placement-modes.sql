-- 010: the permission bits E's entry gave each content noted in placements (005). A file a
-- killed run placed holds them as written, and they are no chmod of R's: a chmod E makes before
-- the next run then reaches R, where E's bits served then, taken for the base, made R's unchanged
-- file look chmodded on R (kept, and sent upstream as R's edit). NULL: noted before (not known).
-- A content E held with other bits in the page is noted once for each; a deletion names no bits.
CREATE TABLE placements_010 (
  base_dir TEXT NOT NULL,
  path TEXT NOT NULL,
  checksum TEXT NOT NULL,
  mode INTEGER,
  UNIQUE (base_dir, path, checksum, mode)
);
INSERT INTO placements_010 (base_dir, path, checksum, mode) SELECT base_dir, path, checksum, NULL FROM placements;
DROP TABLE placements;
ALTER TABLE placements_010 RENAME TO placements;
