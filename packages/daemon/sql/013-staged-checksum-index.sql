-- 013: staged files by content, so an upstream file whose content an earlier session still
-- waiting on E holds (R sent it before, and renamed or copied it since) is staged from that
-- session's staged copy instead of sent again (UPSTREAM_FILE's from_e).
CREATE INDEX staging_entries_checksum ON staging_entries (checksum) WHERE checksum IS NOT NULL;
