// zync-apply's sentences send the user to its own commands ("run zync-apply apply ID again").
// Each is built here, from the words of the command and the --db the user gave, where the
// sentence is written: pasted as it is, it opens the database the user named rather than
// ./sync.db. Text around it (paths, files' names) is never looked into. Pure.

import { shellWord } from '@zync/common';

/**
 * The command line `zync-apply [--db DB] WORDS...`, each word quoted for a POSIX shell where it
 * needs it. `db`: the --db given, or null for the default database (no --db then).
 */
export function applyCommand(db: string | null, ...words: string[]): string {
  // `--db=` for a name that starts with '-': pasted as a separate word it would read as an option.
  const option = db === null ? [] : [db.startsWith('-') ? `--db=${shellWord(db)}` : `--db ${shellWord(db)}`];
  return ['zync-apply', ...option, ...words.map(shellWord)].join(' ');
}

/**
 * The --db in raw arguments (`--db X`, `--db=X`; the last one given), or null: for a refusal
 * yargs makes before it hands over its parsed options.
 */
export function dbInArgs(args: readonly string[]): string | null {
  let db: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--db' && i + 1 < args.length) db = args[++i]!;
    else if (arg.startsWith('--db=')) db = arg.slice('--db='.length);
  }
  return db;
}
