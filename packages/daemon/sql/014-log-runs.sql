-- 014: the runs of the change log. Each process that logs (a daemon run, a zync-apply) notes a
-- random run_id with its first entry, in the same transaction: started_after is the highest
-- sequence before it. A run holds the sequences after its started_after, up to the next run's.
-- A database restored from an older copy lacks the runs after the copy, and the next entry it
-- logs starts a run of its own there: a client told that a sequence past the copy's end was
-- logged by a run this database does not hold there (HELLO `run_of`) learns that the sequences
-- it holds were logged again, for other changes, and resyncs.
--
-- The log logged before this migration counts as one run from 0 (none for an empty log), named
-- after the log_id: a copy from before the upgrade, restored after it, names it alike, so an R
-- whose position that copy holds does not resync for nothing. Clients of older builds never held a
-- run, so none of them resyncs for it.
CREATE TABLE log_runs (
  run_id        TEXT    PRIMARY KEY,
  started_after INTEGER NOT NULL,
  started_at    REAL    NOT NULL      -- ms since the epoch, for a person reading the database
);
CREATE INDEX log_runs_by_start ON log_runs (started_after);

INSERT INTO log_runs (run_id, started_after, started_at)
  SELECT 'legacy-' || (SELECT value FROM meta WHERE key = 'log_id'), 0, (julianday('now') - 2440587.5) * 86400000.0
  FROM sqlite_sequence WHERE name = 'changes' AND seq > 0;
