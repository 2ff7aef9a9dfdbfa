// A local root found missing at a run's start (R removed it) after R received files or directories
// into it (one that goes while the client runs is held instead: core/vanished-roots.ts). Its
// records describe what is no longer there: taken for R's deletions they would keep the root
// empty for good (a pull never undoes R's edits) and go upstream as the deletion of everything.
// So its records are forgotten and E's files fetched again whole; deleting a root is how a user
// asks for that. A root R never received anything into is just made again; one that exists but is
// empty is R's own deletions and is left to the usual rules. One whose disk is not mounted (the
// directory above it on another device than recorded) is none of these: core/root-disks.ts holds
// it first. Pure.
import { ZyncError } from '@zync/common';

export interface MissingRoot {
  name: string;
  root: string;
}

/**
 * The missing roots whose records are forgotten and whose files are fetched again from E: those R
 * received files into at this very place. A root --dirs gives a new place is not one (it is
 * resynced as a moved root is); `real` is where the root would be, symbolic links resolved.
 */
export function rootsToFetchAgain<T extends MissingRoot & { real: string }>(
  missing: readonly T[],
  recorded: { hasRecords(name: string): boolean; boundRoot(name: string): string | undefined },
): T[] {
  return missing.filter((dir) => recorded.hasRecords(dir.name) && recorded.boundRoot(dir.name) === dir.real);
}

/** The warning for one root fetched again: what was found, and what zync does about it. */
export function missingRootWarning(dir: MissingRoot): string {
  return `The local directory for "${dir.name}" (${dir.root}) was missing; it is made again and E's files there are fetched again.`;
}

/**
 * --update-upstream only reads R's roots: a missing one is refused (never sent as deletions). It
 * may have moved (a running client holds it then: core/vanished-roots.ts), so putting it back
 * comes first; then the pull that fetches it again, which a service does once restarted.
 */
export function missingRootUpstreamError(dir: MissingRoot): ZyncError {
  return new ZyncError(
    'BAD_ARGUMENT',
    `Directory "${dir.name}" does not exist: ${dir.root}; nothing is sent upstream — put it back (if it moved, give zync-client its new place in --dirs: R's edits there stay R's), ` +
      `or run zync-client without --update-upstream (restart it if it runs as a service) to make it again and fetch E's files there.`,
  );
}
