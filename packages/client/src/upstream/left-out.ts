// Entries --update-upstream leaves out of a session so that R's other edits are still staged:
// files R rewrites while they are sent (a log, a file saved again and again, a download in
// progress), read once more and then left out (DROP_UPSTREAM_FILE), to go with the next run; and
// paths E refuses because its ignore rules exclude them (a pattern E added to .zyncignore that R
// has not pulled yet), which R keeps. Which failures of an entry mean that, and the one sentence
// that names what was left out. Pure: no I/O.
import { inertLine, ZyncError } from '@zync/common';

/** Names a sentence spells out; beyond them it says how many more. */
const MAX_NAMED = 10;

/**
 * True when an entry failed because its file changed while it was read: it shrank under the
 * read or is no longer a regular file (a FIFO or a directory in its place: FILE_CHANGED), E found
 * other bytes than R had hashed (CHECKSUM_MISMATCH), or it was removed meanwhile (ENOENT, ENOTDIR
 * from the open). Anything else stops the run.
 */
export function changedWhileSent(err: unknown): boolean {
  if (err instanceof ZyncError) return err.code === 'FILE_CHANGED' || err.code === 'CHECKSUM_MISMATCH';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * True when E refused the entry because its ignore rules exclude the path: R's copy of E's
 * .zyncignore is older than E's. Sending it again cannot help; R's next pull brings E's rules.
 */
export function ignoredOnE(err: unknown): boolean {
  return err instanceof ZyncError && err.code === 'IGNORED_PATH';
}

function named(paths: readonly string[]): string {
  const more = paths.length > MAX_NAMED ? ` and ${paths.length - MAX_NAMED} more` : '';
  return `${paths.slice(0, MAX_NAMED).map(inertLine).join(', ')}${more}`;
}

/**
 * The run's last word when files were left out (exit code 11): which, why, and what comes of
 * them — a changed file goes with the next run; an ignored one stays R's once R has E's rules.
 */
export function leftOutError(changed: readonly string[], ignored: readonly string[] = []): ZyncError {
  const parts: string[] = [];
  if (changed.length > 0) {
    const one = changed.length === 1;
    parts.push(`${named(changed)} changed while ${one ? 'it was' : 'they were'} being sent; ${one ? 'it goes' : 'they go'} with the next --update-upstream.`);
  }
  if (ignored.length > 0) {
    const one = ignored.length === 1;
    parts.push(
      `${named(ignored)} ${one ? 'is' : 'are'} ignored on E (its .zyncignore); R keeps ${one ? 'it as it is' : 'them as they are'} — ` +
        `run zync-client to get E's rules before the next --update-upstream.`,
    );
  }
  return new ZyncError('LEFT_OUT', `left out: ${parts.join(' Also left out: ')}`);
}
