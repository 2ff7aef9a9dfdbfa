// Which upstream files R asks E to take from its own copies (UPSTREAM_FILE's `from_e`) instead of
// sending their bytes: content E likely holds — R received it from E at some path, or sent it in a
// session still staged on E (a file R renamed or copied either way) — to a daemon that takes
// from_e, and large enough that the round trip of asking costs less than the bytes. E may no
// longer hold the content (or, older, not look among its staged files); it then answers
// CONTENT_NEEDED and R sends the bytes, so a wrong guess costs one round trip, never the file.
// Pure: no I/O.
import type { UpstreamEntry } from './plan-upstream.js';

/** Below this, a file's bytes go at once: asking first would cost more than sending them. */
export const MIN_FROM_E_BYTES = 64 * 1024;

export function offersFromE(
  entry: Pick<UpstreamEntry, 'kind' | 'operation' | 'checksum' | 'size'>,
  contentsOnE: ReadonlySet<string>,
  daemonTakesIt: boolean,
): boolean {
  if (!daemonTakesIt || entry.kind !== 'file' || entry.operation === 'delete' || entry.checksum === null) return false;
  return entry.size >= MIN_FROM_E_BYTES && contentsOnE.has(entry.checksum);
}
