-- 005: E's contents a batch may rename into place, noted before the batch starts and dropped
-- once a path's outcome is recorded. A kill -9 between a rename and the batch's record leaves a
-- file R has no record of; these rows say which bytes at that path were E's, so that E deleting
-- or replacing it is not mistaken for R's own file (kept forever) or R's edit (a conflict copy).
CREATE TABLE placements (
  base_dir TEXT NOT NULL,
  path TEXT NOT NULL,
  checksum TEXT NOT NULL,
  PRIMARY KEY (base_dir, path, checksum)
) WITHOUT ROWID;
