-- 006: an upper bound of a received file's ctime once R had written it (the clock right after its
-- rename and record). Size, mtime and inode alone miss an edit that keeps all three (an edit
-- followed by `touch -r`, `cp -p` of same-sized content over it): any write moves the ctime past
-- this bound, so such a file is hashed instead of trusted. NULL for files recorded before.
ALTER TABLE entries ADD COLUMN local_ctime_max REAL;
