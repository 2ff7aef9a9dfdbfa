-- 005: live files by inode, so a write through one hard link finds the file's other names. The OS
-- reports a write for the name it went through only; the others hold the same new content and
-- are looked at too (watcher: staleAfterCommit).
CREATE INDEX files_live_inode ON files (ino) WHERE deleted = 0 AND kind = 'file';
