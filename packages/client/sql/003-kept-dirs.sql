-- Directories E deleted that R kept because they still held R's own files or conflict copies
-- (their entries rows are gone: E no longer has them). After a pass that reaches the end of the
-- log, each is looked at again (core/kept-dirs.ts): removed once it holds nothing, forgotten
-- when E makes it again or R removes or replaces it.
CREATE TABLE kept_dirs (
  base_dir TEXT NOT NULL,
  path     TEXT NOT NULL,
  PRIMARY KEY (base_dir, path)
) STRICT;
