// Applies the numbered SQL files in packages/daemon/sql (NNN-name.sql) that the database has not
// seen yet, tracked by PRAGMA user_version. Each migration runs in its own IMMEDIATE transaction
// and re-checks the version inside it, so two processes opening a new database at once (the
// daemon and zync-apply) apply each migration exactly once. A migration that rebuilds a table
// other tables refer to starts with the line `-- zync: foreign keys off`: foreign keys are then
// off while it runs (they cannot be switched inside a transaction) and checked before it commits,
// SQLite's documented procedure for changing a table's constraints. Owns no schema itself.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as nodePath from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ZyncError, type DatabaseFacts } from '@zync/common';

/** packages/daemon/sql, from src/store (vitest) and dist/store (built) alike. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FOREIGN_KEYS_OFF = /^-- zync: foreign keys off$/m;

export function loadMigrations(sqlDir: string = SQL_DIR): Migration[] {
  const migrations = readdirSync(sqlDir)
    .map((name) => ({ name, match: /^(\d{3})-[\w.-]+\.sql$/.exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map(({ name, match }) => ({ version: Number(match[1]), name, sql: readFileSync(nodePath.join(sqlDir, name), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`SQL migrations in ${sqlDir} are not numbered 001, 002, ... without gaps (found ${m.name}).`);
  });
  return migrations;
}

/** What checkDatabaseKind decides from; reads only. */
export function databaseFacts(db: BetterSqlite3.Database): DatabaseFacts {
  return {
    userVersion: Number(db.pragma('user_version', { simple: true })),
    tables: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
  };
}

export function migrate(db: BetterSqlite3.Database, dbPath: string, migrations: readonly Migration[] = loadMigrations()): void {
  const userVersion = () => Number(db.pragma('user_version', { simple: true }));
  const latest = migrations.length;
  if (userVersion() > latest) {
    throw new ZyncError(
      'BAD_ARGUMENT',
      `Database ${dbPath} has schema version ${userVersion()}, newer than this zync build knows (${latest}); use a newer zync.`,
    );
  }
  for (const migration of migrations) {
    if (userVersion() >= migration.version) continue;
    const keysOff = FOREIGN_KEYS_OFF.test(migration.sql) && Number(db.pragma('foreign_keys', { simple: true })) === 1;
    if (keysOff) db.pragma('foreign_keys = OFF');
    db.exec('BEGIN IMMEDIATE');
    try {
      if (userVersion() < migration.version) {
        db.exec(migration.sql);
        if (keysOff && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
          throw new Error('it would leave rows referring to nothing');
        }
        db.pragma(`user_version = ${migration.version}`);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`Migration ${migration.name} failed on ${dbPath}: ${(err as Error).message}`, { cause: err });
    } finally {
      if (keysOff) db.pragma('foreign_keys = ON');
    }
  }
}
