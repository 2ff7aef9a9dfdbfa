-- 011: which batch noted each placement (005), so that the mark of a batch stopped abruptly
-- (meta batch_left) lasts while that batch's own notes are unrecorded, not while any note of the
-- root is: a path a later batch could not apply (a lasting failure on R) placed nothing, and must
-- not keep --update-upstream refused for good.
--   0: noted by a batch recorded since (its failed paths placed nothing);
--   1: noted by the batch open now (openBatch), ended by its record;
--   2: noted by a batch found stopped (kill -9) before its record: it may have placed this;
--   3: as 2, at a path E could not serve since (NOT_FOUND): its later entry (a deletion, or the
--      file logged again) records it; a pass reaching the end of the log does not end this one.
-- A note a later batch writes again keeps its number (the insert skips an existing note).
ALTER TABLE placements ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;
-- Notes from before: those of roots marked then are taken for the marked batch's.
UPDATE placements SET batch = 1 WHERE EXISTS (
  SELECT 1 FROM meta WHERE key = 'batch_open' AND value <> '0' AND (
    NOT json_valid(value) OR json_type(value) <> 'array'
    OR placements.base_dir IN (SELECT j.value FROM json_each(meta.value) AS j)));
UPDATE placements SET batch = 2 WHERE EXISTS (
  SELECT 1 FROM meta WHERE key = 'batch_left' AND value <> '0' AND (
    NOT json_valid(value) OR json_type(value) <> 'array'
    OR placements.base_dir IN (SELECT j.value FROM json_each(meta.value) AS j)));
