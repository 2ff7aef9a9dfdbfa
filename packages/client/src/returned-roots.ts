// Whether the directory at a root's place is the one R recorded its files in (core/vanished-roots.ts
// judgeRootDirectory): looked at before a pull pass, an upload (in-process or handed to a running
// client) and a run's start trust R's records of it. A root removed and made again, copied or
// restored from a backup — under a running client, or while none ran — would otherwise have
// every file it lacks taken for R's deletion and every older file for R's edit, and sent so.
import { lstatSync } from 'node:fs';
import type { DirSpec, Logger } from '@zync/common';
import { isSameTreeBack, judgeRootDirectory, rootIdOf, strangerRootWarning } from './core/vanished-roots.js';
import { diskOf } from './local-tree.js';
import { weighReturn } from './moved-roots.js';
import type { ClientStore } from './store/client-store.js';
import type { StagedRecords } from './upstream/staged-records.js';

/** The identity of the directory at `root` (rootIdOf); undefined when no directory is there. */
export function rootIdAt(root: string): string | undefined {
  const info = lstatSync(root, { bigint: true, throwIfNoEntry: false });
  return info?.isDirectory() ? rootIdOf(info) : undefined;
}

/**
 * Whether R's files can speak for the root: it has records, and it is on the disk they were
 * recorded on (inodes say nothing elsewhere; a disk back under a new device number is the disk
 * guard's to tell, core/root-disks.ts).
 */
function onRecordedDisk(dir: DirSpec, store: ClientStore): boolean {
  const recorded = store.rootDisk(dir.name)?.dev;
  return store.hasRecords(dir.name) && recorded !== undefined && diskOf(dir.root)?.dev === recorded;
}

/**
 * Drops the records (the store's and the staged ones) of each root whose directory is not the
 * one recorded, with a warning each, and returns their names: each is resynced as a root found
 * missing at a start is (E's files fetched, R's differing files kept as conflict copies). Where
 * the directory cannot tell (no birth times on its file system, the same inode number) and
 * `weighUnknown` is set — a start, an upload — R's files decide, as for a held root that came
 * back (moved-roots.ts weighReturn): fewer than half of them as R wrote them is another
 * directory (a backup copied back where the inode number was reused).
 */
export async function dropStrangerRoots(
  dirs: readonly DirSpec[],
  options: { store: ClientStore; staged?: Pick<StagedRecords, 'forgetBaseDir'> | undefined; logger: Logger; weighUnknown?: boolean },
): Promise<string[]> {
  const { store, staged, logger } = options;
  const dropped: string[] = [];
  for (const dir of dirs) {
    const now = rootIdAt(dir.root);
    if (now === undefined || store.boundRoot(dir.name) !== dir.root) continue;
    const recorded = store.rootId(dir.name);
    const judged = judgeRootDirectory(recorded, now);
    if (judged === 'same') continue;
    // Nothing recorded (a state from before sql/017, or records just forgotten): trusted as before.
    const weigh = options.weighUnknown === true && recorded !== undefined && onRecordedDisk(dir, store);
    if (judged === 'unknown' && (!weigh || isSameTreeBack(await weighReturn(dir.name, dir.root, store)))) continue;
    if (store.hasRecords(dir.name)) logger.warn({ code: 'ROOT_GONE' }, strangerRootWarning(dir));
    staged?.forgetBaseDir(dir.name);
    store.forgetBaseDir(dir.name);
    dropped.push(dir.name);
  }
  return dropped;
}
