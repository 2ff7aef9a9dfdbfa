// Frees the young generation while a large download streams in. Each downloaded byte costs about
// two bytes of short-lived ArrayBuffers (the socket's 64 KiB reads and the frame WebSocket joins
// them into), which V8 counts against the old generation's limit until a scavenge frees them.
// With the small young generation the client runs with (bin/zync-client.js) that limit has only
// ~9 MB of room, so a download restarts full mark-compact GCs about 50 times per GiB (~1 s of
// CPU). A scavenge every YOUNG_GC_BYTES frees the buffers before they count; it must stay above
// what the receive pipeline keeps alive (the socket's pause threshold, RECEIVE_HIGH_WATER_BYTES
// in connection.ts), or buffers survive two scavenges and get promoted, which is worse. Needs gc exposed
// (--expose-gc, set by the binary); without it this does nothing (tests, library use).
import { runInNewContext } from 'node:vm';

export const YOUNG_GC_BYTES = 4 * 1024 * 1024;

type Gc = (options: { type: 'minor' | 'major' }) => void;

let gc: Gc | null | undefined;
let sinceLast = 0;

/** Counts received content bytes and runs a young-generation GC every YOUNG_GC_BYTES. */
export function noteReceivedBytes(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < YOUNG_GC_BYTES) return;
  sinceLast = 0;
  if (gc === undefined) {
    try {
      gc = runInNewContext('typeof gc === "function" ? gc : null') as Gc | null;
    } catch {
      gc = null;
    }
  }
  gc?.({ type: 'minor' });
}
