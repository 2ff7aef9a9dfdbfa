-- 007: a directory's live children, found through an index. Scans compare one directory listing
-- at a time with what is recorded for that directory; a range over the directory's path read its
-- whole subtree for each directory (every row of the root for the top). The key is a path up to
-- and including its last '/' ('' at the top of a root): rtrim strips the trailing characters that
-- are not '/', which are exactly the last name. Queries must spell the expression the same way.
CREATE INDEX files_live_by_parent ON files (base_dir, rtrim(path, replace(path, '/', ''))) WHERE deleted = 0;
