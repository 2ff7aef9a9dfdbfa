-- 017: the identity of each root directory itself when a pull pass last ended there: its inode and
-- birth time ("INO:BIRTH_NS"). `mv` keeps both; `rm -rf` then `mkdir`, `cp -a` or a restored backup
-- give a new directory (a reused inode number comes with a new birth time). A directory at a
-- root's place that is not the one R recorded has its records dropped and is fetched again,
-- before any pull, upload or start trusts them (core/vanished-roots.ts, returned-roots.ts). NULL
-- until a pass ends after this migration, whenever --dirs gives the root a new place, and when
-- its records are forgotten.
ALTER TABLE roots ADD COLUMN root_id TEXT;
