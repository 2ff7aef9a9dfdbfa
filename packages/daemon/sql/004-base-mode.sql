-- 004: the permission bits of the file R edited from (`base_mode`), as R received them, so that
-- zync-apply can tell a chmod R made from one E made meanwhile (three-way, like the content).
-- Null for entries staged before this column, for clients that do not send it, and for paths
-- that were new on R: zync-apply then gives the file R's bits, as it always did.
ALTER TABLE staging_entries ADD COLUMN base_mode INTEGER;
