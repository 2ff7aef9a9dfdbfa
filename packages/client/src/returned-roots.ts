// Whether the directory at a root's place is the one R recorded its files in (core/vanished-roots.ts
// judgeRootDirectory): looked at before a pull pass, an upload (in-process or handed to a running
// client) and a run's start trust R's records of it. A root removed and made again, copied or
// restored from a backup — under a running client, or while none ran — would otherwise have
// every file it lacks taken for R's deletion and every older file for R's edit, and sent so.
import { lstatSync } from 'node:fs';
import type { DirSpec, Logger } from '@zync/common';
import { judgeRootDirectory, rootIdOf, strangerRootWarning } from './core/vanished-roots.js';
import type { ClientStore } from './store/client-store.js';
import type { StagedRecords } from './upstream/staged-records.js';

/** The identity of the directory at `root` (rootIdOf); undefined when no directory is there. */
export function rootIdAt(root: string): string | undefined {
  const info = lstatSync(root, { bigint: true, throwIfNoEntry: false });
  return info?.isDirectory() ? rootIdOf(info) : undefined;
}

/**
 * Drops the records (the store's and the staged ones) of each root whose directory is not the
 * one recorded, with a warning each, and returns their names: each is resynced as a root found
 * missing at a start is (E's files fetched, R's differing files kept as conflict copies).
 * Synchronous: the staged records first, as remakeMissingRoots does.
 */
export function dropStrangerRoots(
  dirs: readonly DirSpec[],
  options: { store: ClientStore; staged?: Pick<StagedRecords, 'forgetBaseDir'> | undefined; logger: Logger },
): string[] {
  const { store, staged, logger } = options;
  const dropped: string[] = [];
  for (const dir of dirs) {
    const now = rootIdAt(dir.root);
    if (now === undefined || store.boundRoot(dir.name) !== dir.root) continue;
    if (judgeRootDirectory(store.rootId(dir.name), now) !== 'other') continue;
    if (store.hasRecords(dir.name)) logger.warn({ code: 'ROOT_GONE' }, strangerRootWarning(dir));
    staged?.forgetBaseDir(dir.name);
    store.forgetBaseDir(dir.name);
    dropped.push(dir.name);
  }
  return dropped;
}
