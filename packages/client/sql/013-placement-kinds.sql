-- 013: directories a batch may make or remove, noted beside the file contents it may place
-- (005, with 011's batch), checksum '' and mode NULL. A batch stopped (kill -9) after it made only
-- directories left no note before, so its mark (meta batch_left) lifted at the next recorded
-- batch: a pull cut before E's later entry for such a directory let --update-upstream send it to
-- E as R's new one (or E's removal of one as R's). Their notes keep the mark until a pull records
-- those paths, as file notes do; they never stand for a content.
ALTER TABLE placements ADD COLUMN kind TEXT NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'dir'));

-- A root marked now was marked by an older build, whose killed batch noted no directories: its
-- mark cannot tell when they are recorded, so it lasts until a pass ends up to date with E's log
-- (meta batch_untracked, ended by finishBatches), not merely until the next recorded batch.
INSERT INTO meta (key, value)
SELECT 'batch_untracked', (SELECT json_group_array(base_dir) FROM (SELECT base_dir FROM roots r WHERE EXISTS (
  SELECT 1 FROM meta m WHERE m.key IN ('batch_open', 'batch_left') AND m.value <> '0' AND (
    NOT json_valid(m.value) OR json_type(m.value) <> 'array'
    OR r.base_dir IN (SELECT j.value FROM json_each(m.value) AS j))) ORDER BY base_dir))
WHERE EXISTS (SELECT 1 FROM meta WHERE key IN ('batch_open', 'batch_left') AND value <> '0');
