-- 014: where E moved a kept directory, when the pull that kept it could tell (the move's delete
-- and add in one page of E's log): said when the directory is removed later ("E moved it to
-- docs/b"), instead of a deletion. NULL: a deletion as far as R could tell, or a row from before
-- this column; either way only "E no longer has it" is sure.
ALTER TABLE kept_dirs ADD COLUMN moved_to_base_dir TEXT;
ALTER TABLE kept_dirs ADD COLUMN moved_to_path TEXT;
