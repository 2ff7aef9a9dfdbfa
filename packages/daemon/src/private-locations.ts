// The disk side of core/private-paths.ts: finds where the daemon's private files really are
// (symlinks resolved, also for paths that do not exist yet) and refuses a start that would put
// one in a watched root. Reads only; it runs before the daemon creates anything, so a refused
// start leaves nothing behind.
import { realpath } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { ZyncError, type DirSpec } from '@zync/common';
import { findPrivatePathInRoot, type PrivatePath } from './core/private-paths.js';
import { backupRootFor, stagingRootFor } from './upstream/index.js';

const STATE_ADVICE = 'put --db outside every watched root';
/** For files the daemon reads but does not own (--token-file, --tls-key). */
export const SECRET_ADVICE = 'move it outside every watched root, where it is not synced';

/** Where path really is: its real path, or, if it does not exist yet, its nearest existing ancestor's real path joined with the rest. */
export async function realLocation(path: string): Promise<string> {
  const absolute = nodePath.resolve(path);
  try {
    return await realpath(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const parent = nodePath.dirname(absolute);
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === absolute) return absolute;
    return nodePath.join(await realLocation(parent), nodePath.basename(absolute));
  }
}

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

/** BAD_ARGUMENT (one sentence) when one of paths lies in a watched root, as given or through symlinks. */
export async function refusePrivatePathsInRoots(dirs: readonly DirSpec[], paths: readonly Omit<PrivatePath, 'locations'>[]): Promise<void> {
  const roots = await Promise.all(dirs.map(async (d) => ({ name: d.name, root: await realLocation(d.root) })));
  const located = await Promise.all(
    paths.map(async (p) => {
      const path = nodePath.resolve(p.path);
      return { ...p, path, locations: [path, await realLocation(path)] };
    }),
  );
  const refusal = findPrivatePathInRoot(located, roots);
  if (refusal !== null) throw new ZyncError('BAD_ARGUMENT', refusal);
}
