// Entries --update-upstream leaves out of a session so that R's other edits are still staged:
// files R rewrites while they are sent (a log, a file saved again and again, a download in
// progress), read once more and then left out (DROP_UPSTREAM_FILE), to go with the next run; and
// paths E refuses because its ignore rules exclude them (a pattern E added to .zyncignore that R
// has not pulled yet), which R keeps; and entries of a root E cannot take entries for now (missing,
// an unmounted disk), which R keeps for the next run. Which failures of an entry mean that, which staged entries
// no longer hold on R when the session is about to be finalized (outdatedEntries), and the one
// sentence that names what was left out. Pure: no I/O.
import { inertLine, ZyncError } from '@zync/common';
import { carriesNoChmod } from '../core/file-modes.js';
import { fileKey, type UpstreamEntry } from './plan-upstream.js';

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

/**
 * The sentence E refused the entry with when the entry's root is unavailable on E (missing, or held
 * as an unmounted disk); null for any other failure. The other roots' entries still go: R keeps
 * these, and the next --update-upstream sends them once the root is back.
 */
export function unavailableOnE(err: unknown): string | null {
  return err instanceof ZyncError && err.code === 'ROOT_UNAVAILABLE' ? err.message : null;
}

/** Entries of one of E's roots that E refused as unavailable, with E's sentence saying why. */
export interface UnavailableRoot {
  base_dir: string;
  reason: string;
  paths: readonly string[];
}

/** What R's disk holds at a path now, by lstat ('unknown': it could not be looked at, or is neither file nor directory). */
export type StatNow = { kind: 'absent' } | { kind: 'dir'; mode: number } | { kind: 'file'; size: number; mode: number } | { kind: 'unknown' };

/**
 * True for an entry E stages from the scan's stat alone, no bytes read while it is sent: a
 * directory, a deletion, an empty file. Nothing notices R changing such a path during the upload.
 */
export function stagedWithoutBytes(entry: UpstreamEntry): boolean {
  return entry.kind === 'dir' || entry.operation === 'delete' || entry.size === 0;
}

function stillHolds(entry: UpstreamEntry, now: StatNow | undefined): boolean {
  if (now === undefined || now.kind === 'unknown') return true;
  // A file whose bytes went: an edit since is R's next one; only its removal (`rm -rf` of a new
  // directory after its files went) would be undone by applying it.
  if (!stagedWithoutBytes(entry)) return now.kind === 'file';
  if (entry.operation === 'delete') return now.kind === 'absent';
  // An edit that leaves the bits to E holds whatever R's disk shows (vfat shows its own).
  const sameMode = (mode: number) => entry.mode === undefined || entry.mode === mode || carriesNoChmod(entry);
  if (entry.kind === 'dir') return now.kind === 'dir' && sameMode(now.mode);
  return now.kind === 'file' && now.size === 0 && sameMode(now.mode);
}

/** Calls `visit` with the key of each directory above the entry's path. */
function eachParent(entry: UpstreamEntry, visit: (key: string) => void): void {
  for (let cut = entry.path.indexOf('/'); cut > 0; cut = entry.path.indexOf('/', cut + 1)) visit(fileKey(entry.base_dir, entry.path.slice(0, cut)));
}

/**
 * The staged entries of a session about to be finalized that no longer hold on R (`now`, by
 * fileKey): a directory removed, replaced or chmod'ed, a deleted path made again, an empty file
 * written to or removed, a file whose bytes went removed. Applied, such an entry would
 * come back to R at its next pull and undo what R did since. A directory stays while an entry
 * staged below it stays (E makes it for them anyway); one that could not be looked at stays too.
 * In the order of `sent`.
 */
export function outdatedEntries(sent: readonly UpstreamEntry[], now: ReadonlyMap<string, StatNow>): UpstreamEntry[] {
  const stale = sent.filter((e) => !stillHolds(e, now.get(fileKey(e.base_dir, e.path))));
  if (stale.length === 0) return [];
  // Entries below each directory that stay, made or written on E (deletions make nothing).
  const below = new Map<string, number>();
  for (const e of sent) if (e.operation !== 'delete') eachParent(e, (key) => below.set(key, (below.get(key) ?? 0) + 1));
  const out = new Set<UpstreamEntry>();
  // Deepest first: a directory whose entries below are all taken out goes too.
  for (const e of [...stale].sort((a, b) => b.path.length - a.path.length)) {
    if (e.kind === 'dir' && e.operation !== 'delete' && (below.get(fileKey(e.base_dir, e.path)) ?? 0) > 0) continue;
    out.add(e);
    if (e.operation !== 'delete') eachParent(e, (key) => below.set(key, below.get(key)! - 1));
  }
  return sent.filter((e) => out.has(e));
}

function named(paths: readonly string[]): string {
  const more = paths.length > MAX_NAMED ? ` and ${paths.length - MAX_NAMED} more` : '';
  return `${paths.slice(0, MAX_NAMED).map(inertLine).join(', ')}${more}`;
}

/**
 * The run's last word when files were left out (exit code 11): which, why, and what comes of
 * them — a changed file goes with the next run; an ignored one stays R's once R has E's rules;
 * one of a root unavailable on E goes once that root is back (E's sentence says what to do).
 */
export function leftOutError(
  changed: readonly string[],
  ignored: readonly string[] = [],
  unavailable: readonly UnavailableRoot[] = [],
  /**
   * Per base_dir: the session on E, not applied yet, that holds R's own change to that root's
   * .zyncignore. What E ignores there may be what R's change un-ignores: it goes once that
   * session is applied on E, and pulling E's rules now would not help.
   */
  rulesStagedIn: ReadonlyMap<string, string> = new Map(),
): ZyncError {
  const parts: string[] = [];
  if (changed.length > 0) {
    const one = changed.length === 1;
    parts.push(`${named(changed)} changed while ${one ? 'it was' : 'they were'} being sent; ${one ? 'it goes' : 'they go'} with the next --update-upstream.`);
  }
  const baseDirOf = (path: string) => path.slice(0, path.indexOf('/'));
  const waitingOnRules = new Map<string, string[]>();
  for (const path of ignored) {
    const session = rulesStagedIn.get(baseDirOf(path));
    if (session !== undefined) waitingOnRules.set(baseDirOf(path), [...(waitingOnRules.get(baseDirOf(path)) ?? []), path]);
  }
  for (const [baseDir, paths] of waitingOnRules) {
    const one = paths.length === 1;
    parts.push(
      `${named(paths)} ${one ? 'is' : 'are'} ignored on E (its .zyncignore); R's own change to ${inertLine(`${baseDir}/.zyncignore`)} waits in session ` +
        `${rulesStagedIn.get(baseDir)!} on E: once it is applied there, ${one ? `${named(paths)} goes` : 'they go'} with the next --update-upstream.`,
    );
  }
  ignored = ignored.filter((path) => !waitingOnRules.has(baseDirOf(path)));
  if (ignored.length > 0) {
    const one = ignored.length === 1;
    parts.push(
      `${named(ignored)} ${one ? 'is' : 'are'} ignored on E (its .zyncignore); R keeps ${one ? 'it as it is' : 'them as they are'} — ` +
        `run zync-client to get E's rules before the next --update-upstream.`,
    );
  }
  for (const root of unavailable) {
    const one = root.paths.length === 1;
    parts.push(`${named(root.paths)} ${one ? 'stays' : 'stay'} on R: ${root.reason}`);
  }
  return new ZyncError('LEFT_OUT', `left out: ${parts.join(' Also left out: ')}`);
}
