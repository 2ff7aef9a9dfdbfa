// Sends one upstream plan as one staging session over an open Connection: PREPARE_UPSTREAM with
// the entry count, each entry as UPSTREAM_FILE (content streamed from disk, exactly `size`
// bytes, a few entries in flight so latency does not bound throughput), FINALIZE_UPSTREAM.
// A file that changed while it was sent (left-out.ts) is left out of the session
// (DROP_UPSTREAM_FILE), read once more and sent again; if it changes again, it stays left out
// and the rest goes on. An entry E refuses because its ignore rules exclude the path (R's copy
// of .zyncignore is older than E's) is left out the same way, without a second try; so is every
// entry of a root E refuses as unavailable (missing, an unmounted disk), the later ones of that
// root without being sent at all. A file E may hold already (from-e.ts) is first offered with
// `from_e` and no bytes: E stages its own copy, or answers CONTENT_NEEDED and the bytes go as
// for any other. An entry that no longer holds on R once all are answered (a
// directory or a deletion R changed during the upload, a file R removed) is taken back out
// before FINALIZE (options.outdated). With every entry left out, nothing is finalized.
// Any other failure rejects; the caller closes the connection, and the daemon then aborts the
// session (nothing half-sent is ever appliable). An aborted signal sends no further entry and
// never FINALIZE_UPSTREAM. Decides nothing about what to send.
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as nodePath from 'node:path';
import { describeEChange, ZyncError, type DirSpec, type EChange, type FinalizeUpstreamResponse } from '@zync/common';
import type { Connection } from '../connection.js';
import { changedWhileSent, ignoredOnE, unavailableOnE } from './left-out.js';
import type { UpstreamEntry } from './plan-upstream.js';

export interface SentConflict {
  base_dir: string;
  path: string;
  /** What E did, as the daemon reported it (null: a daemon too old to say). */
  e_change: EChange | null;
  /** The same in words, for the report: "E deleted it", "E changed it too", ... */
  reason: string;
}

export interface SentSession extends FinalizeUpstreamResponse {
  conflicts: SentConflict[];
}

export interface SendResult {
  /** The finalized session; null when every entry was left out (no empty session is staged). */
  session: SentSession | null;
  /** The entries the session holds, in plan order, each as sent (a file read again: its second read). */
  sent: UpstreamEntry[];
  /** The entries left out because their file (or directory) changed while it was being sent, in plan order. */
  left_out: UpstreamEntry[];
  /** The entries left out because E's ignore rules exclude their path, in plan order. */
  ignored: UpstreamEntry[];
  /** The entries left out because their root is unavailable on E, in plan order. */
  unavailable: UpstreamEntry[];
  /** Per base_dir of those: E's sentence saying why. */
  unavailable_roots: ReadonlyMap<string, string>;
  /** Of `sent`, the files E staged from its own copies: their bytes did not go. */
  from_e: { files: number; bytes: number };
}

/** Follows an upload: its totals, the content bytes read to be sent, each entry E answered. */
export interface UploadObserver {
  begin(entries: number, bytes: number): void;
  bytesSent(bytes: number): void;
  entrySent(): void;
  /** A file of `bytes` E staged from its own copy (already taken off the totals by recount). */
  tookFromE?(bytes: number): void;
  /**
   * The totals change by these amounts: an entry left out no longer counts, a file read again
   * counts at its new size. So what was sent ends at the totals, and never passes them.
   */
  recount(entries: number, bytes: number): void;
  end(): void;
}

/** The content bytes an entry sends. */
function contentBytes(entry: UpstreamEntry): number {
  return entry.operation === 'delete' || entry.kind === 'dir' ? 0 : entry.size;
}

/** Exactly `size` bytes of the file, or an error if it shrank meanwhile. */
async function* readExactly(abs: string, size: number, what: string, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  let sent = 0;
  const notAFile = () => new ZyncError('FILE_CHANGED', `${what} changed while it was being sent: it is no longer a regular file.`);
  // O_NONBLOCK: a FIFO put in the file's place since it was hashed would block the open (and the
  // run, for good). O_NOFOLLOW: a link put there would send its target's bytes, which R never
  // hashed as this path. They, and a directory, are files that changed while they were sent.
  const handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ELOOP' ? notAFile() : err;
  });
  try {
    if (!(await handle.stat()).isFile()) throw notAFile();
    for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, highWaterMark: 256 * 1024, autoClose: false })) {
      const buf = chunk as Buffer;
      sent += buf.length;
      onBytes(buf.length);
      yield buf;
    }
  } finally {
    await handle.close();
  }
  if (sent !== size) {
    throw new ZyncError('FILE_CHANGED', `${what} changed while it was being sent; run --update-upstream again.`);
  }
}

/** One sentence naming the entry that failed; nothing of a failed session is appliable on E. */
function describeFailure(err: unknown, what: string, path: string): unknown {
  if (err instanceof ZyncError) {
    if (err.code === 'CONNECTION_FAILED') {
      return new ZyncError(
        'CONNECTION_FAILED',
        `${err.message.replace(/\.$/, '')} while sending ${what}; E keeps nothing of this attempt — run --update-upstream again.`,
        { cause: err },
      );
    }
    return err.message.includes(path) ? err : new ZyncError(err.code, `${what}: ${err.message}`, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined) {
    return new ZyncError('FILE_CHANGED', `${what} could not be read (${code}); run --update-upstream again.`, { cause: err });
  }
  return err;
}

export interface SendOptions {
  concurrency?: number;
  onEntry?: (entry: UpstreamEntry) => void;
  signal?: AbortSignal;
  /**
   * Called just before FINALIZE_UPSTREAM goes out, with the session and the entries it holds:
   * from then on the session may complete on E, whatever becomes of R.
   */
  onFinalize?: (staging_id: string, sent: readonly UpstreamEntry[]) => void;
  progress?: UploadObserver | undefined;
  /**
   * Reads an entry's file again after it changed while it was sent: the entry with its new
   * checksum, size, mtime and mode, or null when there is nothing to send now (gone, no longer a
   * file). Without it, such an entry is left out at once.
   */
  reread?: (entry: UpstreamEntry) => Promise<UpstreamEntry | null>;
  /**
   * Looks at R's disk once every entry is answered, just before FINALIZE_UPSTREAM: of the entries
   * the session holds, those that no longer hold on R (left-out.ts, outdatedEntries). They are
   * taken back out of the session and left out like a changed file.
   */
  outdated?: (sent: readonly UpstreamEntry[]) => Promise<readonly UpstreamEntry[]>;
  /** Files to offer E with from_e first (from-e.ts, offersFromE); without it, every file's bytes go. */
  fromE?: (entry: UpstreamEntry) => boolean;
}

/** Staged entries taken back out at once (each a small request). */
const TAKE_OUT_BATCH = 64;

export async function sendSession(
  connection: Connection,
  dirs: readonly DirSpec[],
  entries: readonly UpstreamEntry[],
  options: SendOptions = {},
): Promise<SendResult> {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  // The host name lets zync-apply say which R sent the session (an older daemon ignores it).
  const host = hostname();
  const { staging_id } = await connection.request('PREPARE_UPSTREAM', { file_count: entries.length, ...(host.length > 0 && host.length <= 255 ? { host_name: host } : {}) });
  const { progress } = options;
  let bytes = 0;
  for (const entry of entries) bytes += contentBytes(entry);
  progress?.begin(entries.length, bytes);
  try {
    return await sendEntries(connection, roots, entries, staging_id, options);
  } finally {
    progress?.end();
  }
}

async function sendEntries(
  connection: Connection,
  roots: ReadonlyMap<string, string>,
  entries: readonly UpstreamEntry[],
  staging_id: string,
  options: SendOptions,
): Promise<SendResult> {
  const stopped = () => new ZyncError('CONNECTION_FAILED', 'Stopped before the upload finished.');
  const conflicts: SentConflict[] = [];
  const { progress } = options;
  /** Per plan index: what went, or why it was left out. */
  const outcome: (UpstreamEntry | 'changed' | 'ignored' | 'unavailable')[] = [];
  /** Roots E refused as unavailable, with its sentence: their other entries are not sent. */
  const unavailableRoots = new Map<string, string>();
  /** Files E staged from its own copies. */
  const tookFromE = new Set<UpstreamEntry>();
  let next = 0;
  let failed: unknown = null;

  const send = async (entry: UpstreamEntry) => {
    const what = `${entry.base_dir}/${entry.path}`;
    const fields = {
      staging_id,
      base_dir: entry.base_dir,
      path: entry.path,
      checksum: entry.checksum,
      size: entry.size,
      base_checksum: entry.base_checksum,
      delete: entry.operation === 'delete',
      kind: entry.kind,
      ...(entry.mode === undefined ? {} : { mode: entry.mode }),
      ...(entry.base_mode === undefined ? {} : { base_mode: entry.base_mode }),
      ...(entry.mtime === undefined ? {} : { mtime: entry.mtime }),
    };
    if (entry.operation === 'delete' || entry.kind === 'dir' || entry.size === 0) return connection.request('UPSTREAM_FILE', fields);
    if (options.fromE?.(entry)) {
      try {
        const answer = await connection.request('UPSTREAM_FILE', { ...fields, from_e: true });
        tookFromE.add(entry);
        progress?.recount(0, -entry.size);
        progress?.tookFromE?.(entry.size);
        return answer;
      } catch (err) {
        // E no longer holds it (or never did): E unmarked the path, and the bytes go as for any file.
        if (!(err instanceof ZyncError && err.code === 'CONTENT_NEEDED')) throw err;
      }
    }
    // Bytes of an attempt that fails are taken back from the progress: a file read again counts once.
    // E may refuse before the last bytes (IGNORED_PATH): a chunk read after that is not counted.
    let bytes = 0;
    let failed = false;
    const counted = (n: number) => {
      if (failed) return;
      bytes += n;
      progress?.bytesSent(n);
    };
    const abs = nodePath.join(roots.get(entry.base_dir)!, ...entry.path.split('/'));
    try {
      return await connection.requestWithBody('UPSTREAM_FILE', fields, readExactly(abs, entry.size, what, counted));
    } catch (err) {
      failed = true;
      progress?.bytesSent(-bytes);
      throw err;
    }
  };

  /** Sends an entry, a file that changed meanwhile once more; or says why it was left out. */
  const sendOrLeaveOut = async (entry: UpstreamEntry): Promise<UpstreamEntry | 'changed' | 'ignored' | 'unavailable'> => {
    let attempt = entry;
    for (let tries = 0; ; tries++) {
      if (unavailableRoots.has(entry.base_dir)) {
        await dropEntry(connection, staging_id, entry, new ZyncError('ROOT_UNAVAILABLE', unavailableRoots.get(entry.base_dir)!));
        options.progress?.recount(-1, -contentBytes(attempt));
        return 'unavailable';
      }
      try {
        const answer = await send(attempt);
        if (answer.conflict) {
          const eChange = answer.e_change ?? null;
          conflicts.push({ base_dir: entry.base_dir, path: entry.path, e_change: eChange, reason: describeEChange(eChange) });
        }
        return attempt;
      } catch (err) {
        const unavailable = unavailableOnE(err);
        if (unavailable !== null && !options.signal?.aborted) {
          if (!unavailableRoots.has(entry.base_dir)) unavailableRoots.set(entry.base_dir, unavailable);
          continue; // left out above, as the root's later entries are
        }
        const ignored = ignoredOnE(err);
        if ((!ignored && !changedWhileSent(err)) || options.signal?.aborted) throw err;
        // Left out first: E discards what arrived (an upload cut short waits for no more bytes),
        // and expects one entry fewer, so that the rest can be finalized.
        await dropEntry(connection, staging_id, entry, err);
        // Saved once during the read (an editor's save): its next read is likely whole, and
        // sent again it counts back in.
        const again = !ignored && tries === 0 && options.reread ? await options.reread(entry) : null;
        options.progress?.recount(again ? 0 : -1, (again ? contentBytes(again) : 0) - contentBytes(attempt));
        if (ignored) return 'ignored';
        if (!again) return 'changed';
        attempt = again;
      }
    }
  };

  const worker = async () => {
    while (next < entries.length && failed === null) {
      if (options.signal?.aborted) {
        failed = stopped();
        break;
      }
      const index = next++;
      const entry = entries[index]!;
      try {
        const went = await sendOrLeaveOut(entry);
        outcome[index] = went;
        if (typeof went !== 'string') {
          progress?.entrySent();
          options.onEntry?.(went);
        }
      } catch (err) {
        failed ??= describeFailure(err, `${entry.base_dir}/${entry.path}`, entry.path);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, entries.length) }, worker));
  if (failed !== null) throw failed;
  // Entries staged without bytes read stand on the scan's stat: a directory R removed during the
  // upload would be made on E and come back to R at its next pull. Known race: R changing such a
  // path after this look and before FINALIZE is not seen (that window is one round trip).
  if (options.outdated && !options.signal?.aborted) {
    const went = outcome.filter((e): e is UpstreamEntry => typeof e !== 'string');
    const taken = await takeOut(connection, staging_id, await options.outdated(went));
    for (const [i, e] of outcome.entries()) if (typeof e !== 'string' && taken.has(e)) outcome[i] = 'changed';
    // No longer in the session: E's change there conflicts with nothing staged.
    const takenKeys = new Set([...taken].map((e) => `${e.base_dir}\0${e.path}`));
    for (let i = conflicts.length - 1; i >= 0; i--) if (takenKeys.has(`${conflicts[i]!.base_dir}\0${conflicts[i]!.path}`)) conflicts.splice(i, 1);
  }
  // A stop asked for while the last entries went out: the session must stay unfinalized.
  if (options.signal?.aborted) throw stopped();
  const sent = outcome.filter((e): e is UpstreamEntry => typeof e !== 'string');
  const left_out = entries.filter((_, i) => outcome[i] === 'changed');
  const ignored = entries.filter((_, i) => outcome[i] === 'ignored');
  const unavailable = entries.filter((_, i) => outcome[i] === 'unavailable');
  const copied = sent.filter((e) => tookFromE.has(e));
  const from_e = { files: copied.length, bytes: copied.reduce((sum, e) => sum + e.size, 0) };
  const leftOut = { left_out, ignored, unavailable, unavailable_roots: unavailableRoots, from_e };
  // Nothing but left-out files: the session is left unfinalized, and E aborts it once R closes.
  if (sent.length === 0) return { session: null, sent, ...leftOut };
  options.onFinalize?.(staging_id, sent);
  const done = await connection.request('FINALIZE_UPSTREAM', { staging_id });
  return { session: { ...done, conflicts }, sent, ...leftOut };
}

/**
 * Takes staged entries back out of the session (DROP_UPSTREAM_FILE with `staged`), a batch in
 * flight at a time; returns those E took out. A daemon too old for it refuses (UPSTREAM_STATE: it
 * drops the field and sees a staged path; UNKNOWN_OPERATION: no DROP_UPSTREAM_FILE at all): the
 * rest then stay in the session, as before there was a way to take them out.
 */
async function takeOut(connection: Connection, staging_id: string, entries: readonly UpstreamEntry[]): Promise<Set<UpstreamEntry>> {
  const taken = new Set<UpstreamEntry>();
  let refused = false;
  for (let at = 0; at < entries.length && !refused; at += TAKE_OUT_BATCH) {
    const one = async (entry: UpstreamEntry) => {
      try {
        await connection.request('DROP_UPSTREAM_FILE', { staging_id, base_dir: entry.base_dir, path: entry.path, staged: true });
        taken.add(entry);
      } catch (err) {
        if (!(err instanceof ZyncError && (err.code === 'UPSTREAM_STATE' || err.code === 'UNKNOWN_OPERATION'))) throw err;
        refused = true;
      }
    };
    await Promise.all(entries.slice(at, at + TAKE_OUT_BATCH).map(one));
  }
  return taken;
}

/**
 * Tells E the entry is left out of the session. A daemon too old to know DROP_UPSTREAM_FILE
 * cannot finalize without it: the run then stops on the entry's own failure, as it did before.
 */
async function dropEntry(connection: Connection, staging_id: string, entry: UpstreamEntry, failure: unknown): Promise<void> {
  try {
    await connection.request('DROP_UPSTREAM_FILE', { staging_id, base_dir: entry.base_dir, path: entry.path });
  } catch (err) {
    throw err instanceof ZyncError && err.code === 'UNKNOWN_OPERATION' ? failure : err;
  }
}
