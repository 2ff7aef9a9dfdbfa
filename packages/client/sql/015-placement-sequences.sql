-- 015: the latest sequence at which a page showed E holding each noted content at its path (005).
-- A page that replays history R has passed (a full resync from 0, a page pulled again after a
-- failure) notes contents E held only before the state R's record of the path comes from: R's
-- file holding one of them is R's edit (a revert), not E's content as a killed run placed it.
-- The sequence tells the two apart (core/local-edits.ts, notedAfter). NULL: noted before it was
-- kept (not known), and for directories' notes (013), which never stand for a content.
ALTER TABLE placements ADD COLUMN sequence INTEGER;
