-- 012: where E's change log stood when zync-apply first began applying a session (its last
-- sequence then; null: not begun, or begun by a zync-apply older than this). E's entries up to it
-- predate E's decision on R's edits: R, told so by UPSTREAM_STATUS, waits for the later entry that
-- decision logs instead of reading an earlier entry of E's as its outcome.
ALTER TABLE staging_sessions ADD COLUMN applied_from INTEGER;
