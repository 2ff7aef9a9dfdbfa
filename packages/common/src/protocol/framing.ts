// Binary frames carry file content for one request: a 4-byte big-endian request id, then bytes.
// Tagging by id lets many transfers share one socket (pipelining) without a round trip each.

export const FRAME_HEADER_BYTES = 4;
/** Content bytes per binary frame: large enough to amortise framing, small enough to interleave. */
export const CHUNK_BYTES = 256 * 1024;
/** Largest frame a peer accepts; bigger frames close the socket (ws maxPayload). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export function encodeBinaryFrame(id: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(id, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Returns null for a frame too short to carry an id. The payload shares the frame's memory. */
export function decodeBinaryFrame(frame: Buffer): { id: number; payload: Buffer } | null {
  if (frame.length < FRAME_HEADER_BYTES) return null;
  return { id: frame.readUInt32BE(0), payload: frame.subarray(FRAME_HEADER_BYTES) };
}
