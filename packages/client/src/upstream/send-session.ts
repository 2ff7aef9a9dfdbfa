// Sends one upstream plan as one staging session over an open Connection: PREPARE_UPSTREAM with
// the entry count, each entry as UPSTREAM_FILE (content streamed from disk, exactly `size`
// bytes, a few entries in flight so latency does not bound throughput), FINALIZE_UPSTREAM.
// Any failure rejects; the caller closes the connection, and the daemon then aborts the
// session (nothing half-sent is ever appliable). An aborted signal sends no further entry and
// never FINALIZE_UPSTREAM. Decides nothing about what to send.
import { createReadStream } from 'node:fs';
import * as nodePath from 'node:path';
import { describeEChange, ZyncError, type DirSpec, type EChange, type FinalizeUpstreamResponse } from '@zync/common';
import type { Connection } from '../connection.js';
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

/** Follows an upload: its totals, the content bytes read to be sent, each entry E answered. */
export interface UploadObserver {
  begin(entries: number, bytes: number): void;
  bytesSent(bytes: number): void;
  entrySent(): void;
  end(): void;
}

/** Exactly `size` bytes of the file, or an error if it shrank meanwhile. */
async function* readExactly(abs: string, size: number, what: string, progress: UploadObserver | undefined): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  let sent = 0;
  for await (const chunk of createReadStream(abs, { start: 0, end: size - 1, highWaterMark: 256 * 1024 })) {
    const buf = chunk as Buffer;
    sent += buf.length;
    progress?.bytesSent(buf.length);
    yield buf;
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
  /** Called just before FINALIZE_UPSTREAM goes out: from then on the session may complete on E. */
  onFinalize?: () => void;
  progress?: UploadObserver | undefined;
}

export async function sendSession(
  connection: Connection,
  dirs: readonly DirSpec[],
  entries: readonly UpstreamEntry[],
  options: SendOptions = {},
): Promise<SentSession> {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const { staging_id } = await connection.request('PREPARE_UPSTREAM', { file_count: entries.length });
  const { progress } = options;
  let bytes = 0;
  for (const entry of entries) if (entry.operation !== 'delete' && entry.kind !== 'dir') bytes += entry.size;
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
): Promise<SentSession> {
  const stopped = () => new ZyncError('CONNECTION_FAILED', 'Stopped before the upload finished.');
  const conflicts: SentConflict[] = [];
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < entries.length && failed === null) {
      if (options.signal?.aborted) {
        failed = stopped();
        break;
      }
      const entry = entries[next++]!;
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
      try {
        const answer =
          entry.operation === 'delete' || entry.kind === 'dir' || entry.size === 0
            ? await connection.request('UPSTREAM_FILE', fields)
            : await connection.requestWithBody(
                'UPSTREAM_FILE',
                fields,
                readExactly(nodePath.join(roots.get(entry.base_dir)!, ...entry.path.split('/')), entry.size, what, options.progress),
              );
        if (answer.conflict) {
          const eChange = answer.e_change ?? null;
          conflicts.push({ base_dir: entry.base_dir, path: entry.path, e_change: eChange, reason: describeEChange(eChange) });
        }
        options.progress?.entrySent();
        options.onEntry?.(entry);
      } catch (err) {
        failed ??= describeFailure(err, what, entry.path);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, entries.length) }, worker));
  if (failed !== null) throw failed;
  // A stop asked for while the last entries went out: the session must stay unfinalized.
  if (options.signal?.aborted) throw stopped();
  options.onFinalize?.();
  const done = await connection.request('FINALIZE_UPSTREAM', { staging_id });
  return { ...done, conflicts };
}
