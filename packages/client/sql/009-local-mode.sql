-- 009: the permission bits a received file had on R's disk once R wrote it. A chmod on R is
-- measured against these, not against E's: a root without Unix modes (vfat) shows its own bits
-- for every file, none of them a chmod of R's. NULL for files recorded before: E's bits stand.
ALTER TABLE entries ADD COLUMN local_mode INTEGER;
