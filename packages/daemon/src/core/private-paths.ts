// Decides whether a file or directory the daemon keeps to itself lies in a watched root: the
// state directory (database, lock, generated token, staged upstream content, apply backups), a
// --token-file or a --tls-key. Anything there is scanned, logged and copied to every R, the
// access token included, so such a start is refused before anything is created. Pure: the caller
// resolves the disk (every location a path has: as given and with symlinks resolved).
import { isInsideDir, type DirSpec } from '@zync/common';

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

/** The refusal (one sentence) for the first private path inside a root; null when none is. */
export function findPrivatePathInRoot(paths: readonly PrivatePath[], dirs: readonly DirSpec[]): string | null {
  for (const p of paths) {
    for (const dir of dirs) {
      if (p.locations.some((location) => isInsideDir(location, dir.root))) {
        return `${p.what} ${p.path} is inside the watched directory "${dir.name}" (${dir.root}); ${p.advice}.`;
      }
    }
  }
  return null;
}
