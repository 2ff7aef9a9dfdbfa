-- Large downloads cut short (connection lost, client stopped or killed): the temp file beside
-- the target keeps the bytes received, and the next attempt at the same content resumes after
-- them (GET_FILE offset) instead of starting over. A row is made when such a download starts,
-- so a kill -9 leaves it too; it goes when the file is in place, when the content it was for is
-- no longer wanted, or when a pass finds R up to date.
CREATE TABLE partial_downloads (
  base_dir  TEXT    NOT NULL,
  path      TEXT    NOT NULL,
  checksum  TEXT    NOT NULL,
  size      INTEGER NOT NULL,
  temp_path TEXT    NOT NULL,
  PRIMARY KEY (base_dir, path)
) STRICT;
