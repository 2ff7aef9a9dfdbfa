-- 008: a file's deletion names the content it removed. Compaction drops the entries a deletion
-- supersedes (plan-compaction.ts), so a client behind them learns only "gone": with the content
-- it can still tell a file it holds exactly as E held it (E's, though never recorded — R's own
-- file E applied from an upstream session, say) from a file of its own. NULL for directories and
-- for deletions logged before this column existed; sent as `deleted_checksum` only when set.
ALTER TABLE changes ADD COLUMN deleted_checksum TEXT;
