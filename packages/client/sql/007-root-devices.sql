-- 007: the disk each root was on when a pull pass last ended there, holding what R received: its
-- device (st_dev) and where that file system is mounted (the highest directory above the root on
-- the same device). A root found on another device below another mount point (its removable or
-- network disk not mounted: the mount point is left) is held, not taken for removed or emptied
-- (core/root-disks.ts). NULL until a pass ends after this migration, and whenever --dirs gives the
-- root a new place.
ALTER TABLE roots ADD COLUMN dev INTEGER;
ALTER TABLE roots ADD COLUMN mount_point TEXT;
