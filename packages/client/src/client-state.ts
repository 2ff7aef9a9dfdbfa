// Opening zync-client's state (--db) with its lock, and making a new one's directory. Does not
// decide when a state is made: main does.
import * as nodePath from 'node:path';
import { acquireProcessLock, checkDatabaseAccess, makeDirectory, refuseUnmakeableDirectory, type ProcessLock } from '@zync/common';
import { ClientStore } from './store/client-store.js';

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
 * opening changes nothing a second client could trip over.
 */
export function openState(dbPath: string, clientId?: string): ClientState {
  // Before SQLite makes anything beside it: a second hard link is a second name, with its own
  // write-ahead log and its own lock; another user's state would get side files its owner cannot write.
  checkDatabaseAccess(dbPath, 'client');
  const store = ClientStore.open(dbPath, clientId === undefined ? {} : { clientId });
  try {
    return { store, lock: acquireProcessLock(`${dbPath}.lock`, 'zync-client', `the client state ${dbPath}`) };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** Makes a new state's directory, then opens the state there. */
export function openNewState(dbPath: string, clientId: string): ClientState {
  makeDirectory(nodePath.dirname(dbPath), stateDirWords(dbPath));
  return openState(dbPath, clientId);
}
