-- 012: a state from before synced_dirs (the names a full pass brought up to date, which
-- --update-upstream requires) takes the names its pulls covered: pulled_dirs, or for a state
-- older than that the names that received something. Once, here, and not at every open: a
-- state made since has no synced_dirs until its first full pass ends, and a first pull cut midway
-- must not count as one.
INSERT INTO meta (key, value)
SELECT 'synced_dirs', COALESCE(
  (SELECT value FROM meta WHERE key = 'pulled_dirs'),
  (SELECT json_group_array(base_dir) FROM (SELECT base_dir FROM roots r WHERE EXISTS (SELECT 1 FROM entries e WHERE e.base_dir = r.base_dir) ORDER BY base_dir)))
WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'log_id')
  AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'synced_dirs');
