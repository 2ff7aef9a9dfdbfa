// zync-apply's sentences send the user to its own commands ("run zync-apply apply ID again").
// Each module writes them without --db; main.ts passes its sentences (not diffs, whose lines are
// files' text) through withDbInHints, so that a hint pasted as it is opens the database the user named rather than
// ./sync.db. Pure.
import { ZyncError } from '@zync/common';

/** `text` as one shell word: as it is when nothing in it needs quoting, else in single quotes. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `text` with `--db DB` after each `zync-apply` that names a command; as it is for the default database (`db` null). */
export function withDbInHints(text: string, db: string | null): string {
  if (db === null) return text;
  // `--db=` for a name that starts with '-': pasted as a separate word it would read as an option.
  const option = db.startsWith('-') ? `--db=${shellWord(db)}` : `--db ${shellWord(db)}`;
  return text.replace(/\bzync-apply (?=(?:list|show|apply|discard)\b)/g, `zync-apply ${option} `);
}

/** An error whose sentence names zync-apply commands, with the same --db (see withDbInHints). */
export function withDbInError(err: unknown, db: string | null): unknown {
  if (!(err instanceof ZyncError)) return err;
  const message = withDbInHints(err.message, db);
  return message === err.message ? err : new ZyncError(err.code, message, { cause: err });
}
