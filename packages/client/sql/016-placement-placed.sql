-- 016: whether the batch that noted a placement (005) would rename that content into place: the
-- content of the path's last entry in its page. A page also notes the contents it shows E holding
-- before a later entry (superseded ones, and what a deletion removed, core/collapse.ts
-- placementsOf); a batch stopped by kill -9 never wrote those, so they must not count as E's
-- placed file unconditionally (core/local-edits.ts notedAfter): R's revert to such a content, or
-- R's put-back of a file E deleted, is R's edit. A note several batches wrote is placed when one
-- of them would place it (ClientStore.notePlacements).
--   1: placed (and notes from before, not known: as before, a stopped batch's counts as E's);
--   0: shown only, judged by its sequence.
ALTER TABLE placements ADD COLUMN placed INTEGER NOT NULL DEFAULT 1;
