-- 013: directories a batch may make or remove, noted beside the file contents it may place
-- (005, with 011's batch), checksum '' and mode NULL. A batch stopped (kill -9) after it made only
-- directories left no note before, so its mark (meta batch_left) lifted at the next recorded
-- batch: a pull cut before E's later entry for such a directory let --update-upstream send it to
-- E as R's new one (or E's removal of one as R's). Their notes keep the mark until a pull records
-- those paths, as file notes do; they never stand for a content.
ALTER TABLE placements ADD COLUMN kind TEXT NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'dir'));
