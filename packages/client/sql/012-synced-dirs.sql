-- 012: synced_dirs, the names a full pass brought up to date, which --update-upstream requires.
-- A state from before it cannot be read for them: the older release wrote pulled_dirs when a pass
-- started (so a first pull, an added name or a moved root's resync cut midway was in it), and its
-- bindRoots dropped a moved root's records without leaving pulled_dirs (a kill -9 before the
-- resync, then another pull, left part of E's files recorded and no resync open). So no name
-- counts, and none is taken as pulled: the first pull after the upgrade resyncs every root it is
-- given (a comparison with E's state; only what R lacks is fetched, R's edits and deletions are
-- kept) and counts each as it ends. Until then uploads are refused with "pull first".
INSERT INTO meta (key, value)
SELECT 'synced_dirs', '[]'
WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'log_id')
  AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'synced_dirs');

-- Just inserted above: a state from before synced_dirs.
INSERT OR IGNORE INTO meta (key, value)
SELECT 'pulled_dirs', '[]' WHERE (SELECT value FROM meta WHERE key = 'synced_dirs') = '[]';
UPDATE meta SET value = '[]' WHERE key = 'pulled_dirs' AND (SELECT value FROM meta WHERE key = 'synced_dirs') = '[]';
