-- 003: the change time (ctime) of each recorded file, so a rewrite that keeps size, mtime and
-- inode (cp -p, touch -r, rsync --inplace -t, or two writes within one timestamp tick) is
-- hashed again instead of trusted. ctime cannot be set by programs: any write, chmod or rename
-- moves it. 0 means unknown or recorded too soon after a write to be trusted; such a row is
-- re-hashed at its next look. Rows from before this column start at 0: the first scan after the
-- upgrade hashes every file once.
ALTER TABLE files ADD COLUMN ctime REAL NOT NULL DEFAULT 0;
