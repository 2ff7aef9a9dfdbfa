// R's roots as --update-upstream takes them: one whose disk seems not mounted, or that is missing,
// is refused (nothing is sent), the others resolved to their real paths. Called once E has
// accepted the connection, by an in-process run and by a running client the run was handed to.
import { refuseUnusableRoots, resolveRoots, type DirSpec, type Logger } from '@zync/common';
import { missingRootUpstreamError } from './core/missing-roots.js';
import { offDiskError } from './core/root-disks.js';
import { giveBackOpenedDirs } from './opened-dirs.js';
import { findRootsOffTheirDisk } from './pull-engine.js';
import { dropStrangerRoots } from './returned-roots.js';
import { StagedRecords } from './upstream/staged-records.js';
import type { ClientStore } from './store/client-store.js';

export async function upstreamRoots(specs: readonly DirSpec[], store: ClientStore, newDisk: ReadonlySet<string>, logger: Logger): Promise<DirSpec[]> {
  // Before the missing roots: one whose disk is not mounted is not fetched again by a pull.
  const offDisk = await findRootsOffTheirDisk(specs, store, newDisk);
  if (offDisk.length > 0) throw offDiskError(offDisk, 'nothing is sent upstream');
  const missing = await refuseUnusableRoots(specs, { allowMissing: true });
  if (missing.length > 0) throw missingRootUpstreamError(missing[0]!);
  const dirs = await resolveRoots(specs);
  // A root that is not the directory R synced (made again, restored) has its records dropped: the
  // upload then refuses it as never pulled, and nothing of it is sent before its resync.
  const staged = StagedRecords.open(store.path);
  try {
    await dropStrangerRoots(dirs.filter((dir) => !newDisk.has(dir.name)), { store, staged, logger, weighUnknown: true });
  } finally {
    staged.close();
  }
  giveBackOpenedDirs(store, logger);
  return dirs;
}
