-- 007: the device (st_dev) each root was on when a pull pass last ended there, holding what R
-- received. A root found on another device (its removable or network disk not mounted: the mount
-- point is left) is held, not taken for removed or emptied (core/root-disks.ts). NULL until a pass
-- ends after this migration, and whenever --dirs gives the root a new place.
ALTER TABLE roots ADD COLUMN dev INTEGER;
