// The order and shape rules of one connection's upstream session, as pure checks: given what the
// session holds so far and a request, either an error (stable code + one sentence) or null.
// The staging shell (staging-connection.ts) calls these before it touches the disk or the db.
// Must not do I/O; paths are checked syntactically here (checkRelativePath), on disk elsewhere.

import {
  checkRelativePath,
  isZyncError,
  ZyncError,
  type ChangeOperation,
  type DropUpstreamFileRequest,
  type EntryKind,
  type FinalizeUpstreamRequest,
  type UpstreamFileRequest,
} from '@zync/common';

export type LiveStatus = 'in_progress' | 'finalizing' | 'complete' | 'aborted';

/** What the rules need to know about the connection's current session. */
export interface SessionView {
  staging_id: string;
  status: LiveStatus;
  /** Entries announced by PREPARE_UPSTREAM. */
  file_count: number;
  /** Entries staged or being staged (keys from entryKey). */
  seen: ReadonlySet<string>;
  /** Entries R left out (DROP_UPSTREAM_FILE) and has not sent again; `file_count` does not count them. */
  dropped?: ReadonlySet<string>;
  /** Why the session was aborted, when it was. */
  reason?: string | undefined;
}

export interface StagingLimits {
  /** Largest single staged file, in bytes. */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: StagingLimits = { maxFileBytes: 64 * 1024 ** 3 };

export function entryKey(baseDir: string, path: string): string {
  return `${baseDir}\u0000${path}`;
}

function stateError(session: SessionView | null, requested: string | undefined): ZyncError | null {
  if (!session) {
    return new ZyncError('UPSTREAM_STATE', 'No upstream session is open on this connection; send PREPARE_UPSTREAM first.');
  }
  if (requested !== undefined && requested !== session.staging_id) {
    return new ZyncError('UPSTREAM_STATE', `Staging session ${requested} is not the one open on this connection (${session.staging_id}).`);
  }
  if (session.status === 'aborted') {
    return new ZyncError('UPSTREAM_STATE', `Staging session ${session.staging_id} was aborted${session.reason ? ` (${session.reason})` : ''}.`);
  }
  if (session.status !== 'in_progress') {
    return new ZyncError('UPSTREAM_STATE', `Staging session ${session.staging_id} is already being finalized.`);
  }
  return null;
}

/** What refuses any entry of a session: no such session open, an unknown base dir, an unsafe path. */
function entryRefusal(session: SessionView | null, req: { staging_id?: string | undefined; base_dir: string; path: string }, knownDirs: ReadonlySet<string>): ZyncError | null {
  const state = stateError(session, req.staging_id);
  if (state || !session) return state;
  if (!knownDirs.has(req.base_dir)) {
    return new ZyncError('UNKNOWN_BASE_DIR', `Base dir "${req.base_dir}" is not served by this daemon.`);
  }
  try {
    checkRelativePath(req.path);
    return null;
  } catch (err) {
    if (isZyncError(err)) return err;
    throw err;
  }
}

export function checkPrepare(session: SessionView | null): ZyncError | null {
  if (session && (session.status === 'in_progress' || session.status === 'finalizing')) {
    return new ZyncError('UPSTREAM_STATE', `Staging session ${session.staging_id} is still open on this connection; finalize it first.`);
  }
  return null;
}

export function checkUpstreamFile(
  session: SessionView | null,
  req: Pick<UpstreamFileRequest, 'staging_id' | 'base_dir' | 'path' | 'checksum' | 'size' | 'delete'> &
    Partial<Pick<UpstreamFileRequest, 'kind' | 'base_checksum'>>,
  knownDirs: ReadonlySet<string>,
  limits: StagingLimits = DEFAULT_LIMITS,
): ZyncError | null {
  const refused = entryRefusal(session, req, knownDirs);
  if (refused || !session) return refused;
  if (req.kind === 'dir') {
    // A directory made over a file R had received carries that file's checksum as its base; a
    // removed directory's base is the directory itself.
    if (req.checksum !== null || req.size !== 0 || (req.delete && (req.base_checksum ?? null) !== null)) {
      return new ZyncError(
        'BAD_MESSAGE',
        `Directory ${req.base_dir}/${req.path} must carry checksum null and size 0${req.delete ? ', and base_checksum null when removed' : ''}.`,
      );
    }
  } else if (req.delete) {
    if (req.checksum !== null || req.size !== 0) {
      return new ZyncError('BAD_MESSAGE', `Deletion of ${req.base_dir}/${req.path} must carry checksum null and size 0.`);
    }
  } else if (req.checksum === null) {
    return new ZyncError('BAD_MESSAGE', `Upstream file ${req.base_dir}/${req.path} has no checksum.`);
  }
  if (req.size > limits.maxFileBytes) {
    return new ZyncError('TOO_LARGE', `Upstream file ${req.base_dir}/${req.path} is ${req.size} bytes; the limit is ${limits.maxFileBytes}.`);
  }
  if (session.seen.has(entryKey(req.base_dir, req.path))) {
    return new ZyncError('UPSTREAM_STATE', `${req.base_dir}/${req.path} was already sent in session ${session.staging_id}.`);
  }
  // An entry R left out and now sends again (read once more) counts back in.
  const counted = session.file_count + (session.dropped?.has(entryKey(req.base_dir, req.path)) ? 1 : 0);
  if (session.seen.size >= counted) {
    return new ZyncError('UPSTREAM_STATE', `Session ${session.staging_id} announced ${session.file_count} entries and already has them all.`);
  }
  return null;
}

/**
 * DROP_UPSTREAM_FILE: R leaves out an entry that failed, or whose upload is still waiting for
 * bytes (`uploading`: those are then discarded). One staged, or being committed, stays: the
 * session already holds it — unless R asks for a staged one back (`staged`), which it may once
 * the entry is recorded in the session (`recorded`), not while it is still being committed.
 */

export function checkDropUpstreamFile(
  session: SessionView | null,
  req: Pick<DropUpstreamFileRequest, 'staging_id' | 'base_dir' | 'path' | 'staged'>,
  knownDirs: ReadonlySet<string>,
  uploading: boolean,
  recorded = false,
): ZyncError | null {
  const refused = entryRefusal(session, req, knownDirs);
  if (refused || !session) return refused;
  const key = entryKey(req.base_dir, req.path);
  if (session.dropped?.has(key)) {
    return new ZyncError('UPSTREAM_STATE', `${req.base_dir}/${req.path} was already left out of session ${session.staging_id}.`);
  }
  if (req.staged === true) {
    return recorded && session.seen.has(key)
      ? null
      : new ZyncError('UPSTREAM_STATE', `${req.base_dir}/${req.path} is not staged in session ${session.staging_id} (yet); only an entry E answered for can be taken out.`);
  }
  if (session.seen.has(key) && !uploading) {
    return new ZyncError('UPSTREAM_STATE', `${req.base_dir}/${req.path} is already staged in session ${session.staging_id}; it cannot be left out.`);
  }
  const others = session.seen.size - (session.seen.has(key) ? 1 : 0);
  if (others >= session.file_count) {
    return new ZyncError('UPSTREAM_STATE', `Session ${session.staging_id} announced ${session.file_count} entries and already has them all; none is left to leave out.`);
  }
  return null;
}

export function checkFinalize(session: SessionView | null, req: Pick<FinalizeUpstreamRequest, 'staging_id'>): ZyncError | null {
  return stateError(session, req.staging_id);
}

/** Checked once every upload of the session has settled: only a whole session is finalized. */
export function checkAllArrived(session: SessionView, staged: number): ZyncError | null {
  if (staged !== session.file_count) {
    return new ZyncError(
      'UPSTREAM_STATE',
      `Session ${session.staging_id} announced ${session.file_count} entries but ${staged} arrived intact; it cannot be finalized.`,
    );
  }
  return null;
}

/** What checkNothingBelowFiles looks at of a staged entry. */
export interface TreeEntry {
  base_dir: string;
  path: string;
  kind: EntryKind;
  operation: ChangeOperation;
}

/**
 * Checked once every entry of the session is staged: a file R sends (not a deletion) with any
 * entry below its path. No disk holds both, and applied, the outcome would depend on the order
 * (R's file over E's directory that still holds files, or R's entries below R's own file), so
 * the whole session is refused. R's own scan never sends this (a directory R replaced with a
 * file is held back there). A file's deletion with entries below it is R's file replaced by a
 * directory, as older clients send it, and stays allowed.
 */
export function checkNothingBelowFiles(session: Pick<SessionView, 'staging_id'>, entries: readonly TreeEntry[]): ZyncError | null {
  const files = new Set(entries.filter((e) => e.kind === 'file' && e.operation !== 'delete').map((e) => entryKey(e.base_dir, e.path)));
  if (files.size === 0) return null;
  for (const e of entries) {
    // Shallowest first: the file nearest the root is the one named.
    for (let cut = e.path.indexOf('/'); cut > 0; cut = e.path.indexOf('/', cut + 1)) {
      const above = e.path.slice(0, cut);
      if (!files.has(entryKey(e.base_dir, above))) continue;
      return new ZyncError(
        'PATH_CLASH',
        `Session ${session.staging_id} holds ${e.base_dir}/${above} as a file and also ${e.base_dir}/${e.path} below it; a path cannot be both a file and a directory, ` +
          'so nothing of the session was staged — rename one of them on R (or make that change on E) and run --update-upstream again.',
      );
    }
  }
  return null;
}

/** Why E cannot take entries for one of its roots now: gone, or held by the watcher (emptied, an unmounted disk). */
export type RootTrouble = 'missing' | 'held';

/**
 * The refusal of an entry for a root E cannot take entries for now (classified against a missing
 * or unmounted root, every entry would look deleted on E). R leaves that root's entries out and
 * keeps them, like a path E ignores; the sentence says so to R's user.
 */
export function rootUnavailableError(baseDir: string, trouble: RootTrouble): ZyncError {
  const what =
    trouble === 'missing'
      ? 'is missing or not a directory'
      : 'is held by the daemon (emptied while entries are recorded for it: an unmounted disk?)';
  return new ZyncError(
    'ROOT_UNAVAILABLE',
    `E's root "${baseDir}" ${what}; nothing was staged for it — restore or mount it on E, then run --update-upstream again.`,
  );
}

/**
 * Why a session the connection closed on before FINALIZE_UPSTREAM was aborted: plain, or naming
 * the roots E refused entries for (R then leaves them out, and closes when nothing else went).
 */
export function closedBeforeFinalizeReason(refusedRoots: ReadonlySet<string>): string {
  // Said to a person on E (zync-apply list/show): what happened, not the protocol step.
  if (refusedRoots.size === 0) return "R's upload was cut off before it finished (Ctrl-C, SIGTERM, or the connection dropped)";
  const names = [...refusedRoots].map((name) => `"${name}"`).join(', ');
  const one = refusedRoots.size === 1;
  return `E's root${one ? '' : 's'} ${names} ${one ? 'was' : 'were'} unavailable, so R's entries there were refused; R's upload ended before it finished`;
}
