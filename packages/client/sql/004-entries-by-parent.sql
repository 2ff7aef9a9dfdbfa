-- 004: a directory's recorded children, found through an index. --update-upstream compares R's
-- tree one directory listing at a time with what R received for that directory only, so the
-- client never holds every entry at once. The key is a path up to and including its last '/'
-- ('' at the top of a root): rtrim strips the trailing characters that are not '/', which are
-- exactly the last name. Queries must spell the expression the same way to use the index.
CREATE INDEX entries_by_parent ON entries (base_dir, rtrim(path, replace(path, '/', '')));
