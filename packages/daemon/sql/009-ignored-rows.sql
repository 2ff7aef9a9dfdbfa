-- 009: a recorded path the ignore rules now exclude keeps its row, marked `ignored`, instead of
-- being forgotten. The row still says what the clients last received; once the rules let the
-- path through again, the daemon logs it afresh when it is on E and as a deletion when E removed
-- it meanwhile, so R's stale copy goes (R's edits are kept as for any deletion). While marked,
-- the row neither serves its log entries (GET_CHANGES) nor keeps them from compaction. The
-- partial index holds only the (few) ignored rows.
ALTER TABLE files ADD COLUMN ignored INTEGER NOT NULL DEFAULT 0 CHECK (ignored IN (0, 1));
CREATE INDEX files_ignored ON files (base_dir, path) WHERE ignored = 1;
