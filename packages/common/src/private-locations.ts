// The disk side of private-paths.ts: finds where a process's private files really are (symlinks
// resolved, also for paths that do not exist yet) and refuses a start that would put one in a
// synced root. Reads only; it runs before anything is created, so a refused start leaves
// nothing behind.
import { readlink, realpath } from 'node:fs/promises';
import * as nodePath from 'node:path';
import type { DirSpec } from './dir-spec.js';
import { findPrivatePathInRoot, type PrivatePath, type RootWord } from './private-paths.js';
import { ZyncError } from './protocol/errors.js';

/** How many dangling symbolic links realLocation follows in a row, as the kernel's limit for a loop. */
const MAX_LINKS = 40;

/**
 * Where path really is: its real path, or, if it does not exist yet, its nearest existing
 * ancestor's real path joined with the rest — and where a symbolic link whose target does not
 * exist yet leads (a --db link to a database made at first start), since that is where the file
 * will be made.
 */
export async function realLocation(path: string, linksLeft = MAX_LINKS): Promise<string> {
  const absolute = nodePath.resolve(path);
  try {
    return await realpath(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const parent = nodePath.dirname(absolute);
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === absolute) return absolute;
    const here = nodePath.join(await realLocation(parent, linksLeft), nodePath.basename(absolute));
    const target = linksLeft > 0 ? await readlink(here).catch(() => null) : null;
    return target === null ? here : realLocation(nodePath.resolve(nodePath.dirname(here), target), linksLeft - 1);
  }
}

/** BAD_ARGUMENT (one sentence) when one of paths lies in a root, as given or through symlinks. */
export async function refusePrivatePathsInRoots(
  dirs: readonly DirSpec[],
  paths: readonly Omit<PrivatePath, 'locations'>[],
  rootWord: RootWord = 'watched',
): Promise<void> {
  const roots = await Promise.all(dirs.map(async (d) => ({ name: d.name, root: await realLocation(d.root) })));
  const located = await Promise.all(
    paths.map(async (p) => {
      const path = nodePath.resolve(p.path);
      return { ...p, path, locations: [path, await realLocation(path)] };
    }),
  );
  const refusal = findPrivatePathInRoot(located, roots, rootWord);
  if (refusal !== null) throw new ZyncError('BAD_ARGUMENT', refusal);
}
