-- 010: live files by content, so an upstream file E already holds (R renamed or copied it) is
-- staged from E's own copy instead of sent again (UPSTREAM_FILE's from_e).
CREATE INDEX files_live_checksum ON files (checksum) WHERE deleted = 0 AND kind = 'file';
