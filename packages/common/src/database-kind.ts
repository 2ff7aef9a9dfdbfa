// Whether an existing SQLite file given as --db is this binary's. Opening a database migrates it,
// which would add zync's tables to another program's database, or the daemon's to the client's:
// bad input must change nothing. Decides from facts the caller read before writing anything.
import { ZyncError } from './protocol/errors.js';

export interface DatabaseFacts {
  /** PRAGMA user_version: 0 for a new file, else the last migration applied. */
  userVersion: number;
  /** The names of its tables. */
  tables: readonly string[];
}

export interface DatabaseKind {
  /** "zync-daemon", "zync-client" */
  program: string;
  /** The highest migration this build knows. */
  latest: number;
  /** A table every database of this kind has from its first migration on. */
  table: string;
  /** What to pass instead, e.g. "pass --db with the daemon's database". */
  advice: string;
}

/** BAD_ARGUMENT (one sentence) unless the database is new or one of `kind`'s this build can use. */
export function checkDatabaseKind(path: string, facts: DatabaseFacts, kind: DatabaseKind): void {
  const isNew = facts.userVersion === 0 && facts.tables.length === 0;
  if (!isNew && !facts.tables.includes(kind.table)) {
    throw new ZyncError('BAD_ARGUMENT', `${path} is not a ${kind.program} database; ${kind.advice}.`);
  }
  if (facts.userVersion > kind.latest) {
    throw new ZyncError(
      'BAD_ARGUMENT',
      `Database ${path} has schema version ${facts.userVersion}, newer than this zync build knows (${kind.latest}); use a newer zync.`,
    );
  }
}
