// Files R rewrites while --update-upstream sends them (a log, a file saved again and again, a
// download in progress): which failures of an entry mean that, and the one sentence that names
// what was left out. Such a file is read once more, then left out of the session
// (DROP_UPSTREAM_FILE) so that R's other edits are still staged; it goes with the next run.
// Pure: no I/O.
import { inertLine, ZyncError } from '@zync/common';

/** Names a sentence spells out; beyond them it says how many more. */
const MAX_NAMED = 10;

/**
 * True when an entry failed because its file changed while it was read: it shrank under the
 * read (FILE_CHANGED), E found other bytes than R had hashed (CHECKSUM_MISMATCH), or it was
 * removed or replaced meanwhile (ENOENT, ENOTDIR from the read). Anything else stops the run.
 */
export function changedWhileSent(err: unknown): boolean {
  if (err instanceof ZyncError) return err.code === 'FILE_CHANGED' || err.code === 'CHECKSUM_MISMATCH';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The run's last word when files were left out (exit code 11): which, and that the next run sends them. */
export function leftOutError(paths: readonly string[]): ZyncError {
  const named = paths.slice(0, MAX_NAMED).map(inertLine).join(', ');
  const more = paths.length > MAX_NAMED ? ` and ${paths.length - MAX_NAMED} more` : '';
  const one = paths.length === 1;
  return new ZyncError(
    'LEFT_OUT',
    `left out: ${named}${more} changed while ${one ? 'it was' : 'they were'} being sent; ${one ? 'it goes' : 'they go'} with the next --update-upstream.`,
  );
}
