// Opening zync-client's state (--db) with its lock, and making a new one's directory. A new
// state's directory is taken back when the state cannot be opened in it (a refusal, a full disk),
// so a failed first run leaves R as it was. Does not decide when a state is made: main does.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import * as nodePath from 'node:path';
import { acquireProcessLock, checkDatabaseAccess, isZyncError, makeDirectory, refuseUnmakeableDirectory, type ProcessLock } from '@zync/common';
import { ClientStore, stateDiskFullError } from './store/client-store.js';

export interface ClientState {
  store: ClientStore;
  lock: ProcessLock;
}

const stateDirWords = (dbPath: string) => ({
  what: `${nodePath.dirname(dbPath)}, the directory of --db`,
  advice: 'pass a --db whose directory exists or can be made',
});

/** Refuses, touching nothing, a new state whose directory could never be made (below a file). */
export function refuseUnmakeableStateDir(dbPath: string): Promise<void> {
  return refuseUnmakeableDirectory(nodePath.dirname(dbPath), stateDirWords(dbPath));
}

/**
 * Opens the client state and takes its lock: two clients on one state would race each other's
 * downloads and renames on R. Taken after the open, which reports a full disk in R's own words;
 * opening changes nothing a second client could trip over. `dirMade`: openNewState made the
 * state's directory and takes it back if this throws.
 */
export function openState(dbPath: string, clientId?: string, dirMade = false): ClientState {
  // Before SQLite makes anything beside it: a second hard link is a second name, with its own
  // write-ahead log and its own lock; another user's state would get side files its owner cannot write.
  checkDatabaseAccess(dbPath, 'client', { dirMade });
  const store = ClientStore.open(dbPath, clientId === undefined ? {} : { clientId });
  try {
    return { store, lock: acquireProcessLock(`${dbPath}.lock`, 'zync-client', `the client state ${dbPath}`) };
  } catch (err) {
    store.close();
    // Its lock file beside it: a full disk there is said as for the database itself.
    throw isZyncError(err) && err.code === 'DISK_FULL' ? stateDiskFullError(dbPath, err) : err;
  }
}

/** Makes a new state's directory, then opens the state there; takes back what it made if that fails. */
export function openNewState(dbPath: string, clientId: string): ClientState {
  const made = makeDirectory(nodePath.dirname(dbPath), stateDirWords(dbPath));
  // A state in a directory made a moment ago is another client's (two first runs at once): it
  // stays whatever happens here. Known race: one made between this look and the open below and
  // then refused (another user's) would be removed; two users' first runs within microseconds.
  const ours = made !== undefined && !existsSync(dbPath) ? made : undefined;
  try {
    return openState(dbPath, clientId, ours !== undefined);
  } catch (err) {
    // IN_USE: another client took the state in that directory meanwhile; it is that client's now.
    if (ours !== undefined && !(isZyncError(err) && err.code === 'IN_USE')) removeNewStateDir(ours, dbPath);
    throw err;
  }
}

/** Removes what SQLite made of a state that did not open, and the directories made for it. */
function removeNewStateDir(made: string, dbPath: string): void {
  try {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
    // rmdir, not a recursive removal: a directory something else was put in meanwhile stays.
    for (let dir = nodePath.dirname(dbPath); ; dir = nodePath.dirname(dir)) {
      rmdirSync(dir);
      if (dir === made) break;
    }
  } catch {
    // What stays is empty directories or a state that never opened; the first failure is the one to tell.
  }
}
