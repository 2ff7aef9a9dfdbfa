// Decides whether a file or directory a zync process keeps to itself lies in a synced root: the
// daemon's state directory (database, lock, generated token, staged upstream content, apply
// backups), its --token-file or --tls-key, the client's database. Anything in a root is synced
// to the other side (the access token included, from E) or fights the process that owns it, so
// such a start is refused before anything is created. Pure: the caller resolves the disk (every
// location a path has: as given and with symlinks resolved), see private-locations.ts.
import type { DirSpec } from './dir-spec.js';
import { isInsideDir } from './paths.js';

export interface PrivatePath {
  /** How the refusal names it, e.g. "The token file". */
  what: string;
  /** The path as the user gave it (made absolute), for the sentence. */
  path: string;
  /** Every absolute location it has: as given and with symlinks resolved. */
  locations: readonly string[];
  /** What to do instead, e.g. "put --db outside every watched root". */
  advice: string;
}

/** How a refusal calls the roots: E's daemon watches them, R's client syncs into them. */
export type RootWord = 'watched' | 'synced';

/** The refusal (one sentence) for the first private path inside a root; null when none is. */
export function findPrivatePathInRoot(paths: readonly PrivatePath[], dirs: readonly DirSpec[], rootWord: RootWord = 'watched'): string | null {
  for (const p of paths) {
    for (const dir of dirs) {
      if (p.locations.some((location) => isInsideDir(location, dir.root))) {
        return `${p.what} ${p.path} is inside the ${rootWord} directory "${dir.name}" (${dir.root}); ${p.advice}.`;
      }
    }
  }
  return null;
}
