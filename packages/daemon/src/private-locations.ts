// What the daemon keeps to itself, for refusePrivatePathsInRoots (common): a start that would
// put any of it in a watched root is refused before anything is created.
import * as nodePath from 'node:path';
import type { PrivatePath } from '@zync/common';
import { backupRootFor, stagingRootFor } from './upstream/index.js';

const STATE_ADVICE = 'put --db outside every watched root';
/** For files the daemon reads but does not own (--token-file, --tls-key). */
export const SECRET_ADVICE = 'move it outside every watched root, where it is not synced';

/** The state the daemon keeps beside its database: the directory, the database, staging and backups. */
export function statePaths(dbPath: string): Omit<PrivatePath, 'locations'>[] {
  const db = nodePath.resolve(dbPath);
  const stateDir = nodePath.dirname(db);
  return [
    { what: 'The state directory', path: stateDir, advice: STATE_ADVICE },
    { what: 'The database', path: db, advice: STATE_ADVICE },
    { what: 'The staging directory', path: stagingRootFor(stateDir), advice: STATE_ADVICE },
    { what: 'The backup directory', path: backupRootFor(stateDir), advice: STATE_ADVICE },
  ];
}
