-- 012: a state from before synced_dirs (the names a full pass brought up to date, which
-- --update-upstream requires) takes the names its pulls covered. Once, here, and not at every
-- open: a state made since has no synced_dirs until its first full pass ends, and a first pull
-- cut midway must not count as one.
--
-- What the older release left is read with care, since it wrote pulled_dirs when a pass started:
-- - a resync still open (a first pull, an added name, a moved root's resync cut midway) may have
--   recorded part of a name's files only, and pulled_dirs already names it: no name counts; the
--   pull that ends the resync counts the names it pulled;
-- - a name bound to a root with no records may be a moved root whose records that release dropped
--   without leaving pulled_dirs (killed before its resync began): it leaves pulled_dirs too, so
--   the next pull resyncs it (one read of the log for a root E holds empty).
-- The names with records stand for pulled_dirs in a state older than it.
CREATE TEMP TABLE covered_012 AS
SELECT value AS base_dir FROM json_each(COALESCE(
  (SELECT value FROM meta WHERE key = 'pulled_dirs'),
  (SELECT json_group_array(base_dir) FROM roots)))
WHERE EXISTS (SELECT 1 FROM entries e WHERE e.base_dir = value)
  AND EXISTS (SELECT 1 FROM meta WHERE key = 'log_id')
  AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'synced_dirs');

UPDATE meta SET value = (SELECT json_group_array(base_dir) FROM (SELECT base_dir FROM covered_012 ORDER BY base_dir))
WHERE key = 'pulled_dirs'
  AND EXISTS (SELECT 1 FROM meta WHERE key = 'log_id')
  AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'synced_dirs');

INSERT INTO meta (key, value)
SELECT 'synced_dirs', CASE WHEN (SELECT value FROM meta WHERE key = 'resyncing') = '1' THEN '[]'
  ELSE (SELECT json_group_array(base_dir) FROM (SELECT base_dir FROM covered_012 ORDER BY base_dir)) END
WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'log_id')
  AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'synced_dirs');

DROP TABLE covered_012;
