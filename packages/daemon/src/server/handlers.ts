// Answers the requests that are a question to the store: PING, HELLO, GET_LAST_SEQUENCE,
// GET_CHANGES and ACK_CHANGES. Each returns the success response or throws a ZyncError with a
// stable code; the connection turns that into the wire error. No sockets here. HELLO and ACK
// write E's note of the client (when it was last seen, what it acknowledged); a full disk leaves
// that note unwritten instead of failing them: R keeps its own position, and serving what E
// already logged needs no room.
import {
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOLS,
  ZyncError,
  type AckChangesRequest,
  type AckResponse,
  type GetChangesRequest,
  type GetChangesResponse,
  type GetLastSequenceResponse,
  type HelloRequest,
  type HelloResponse,
  type PingRequest,
  type PingResponse,
} from '@zync/common';
import { isDiskFull } from '../core/state-disk-full.js';
import type { RootSet } from '../roots.js';
import type { StateDiskNotice } from '../state-disk.js';
import type { DaemonStore } from '../store/daemon-store.js';

export interface HandlerContext {
  store: DaemonStore;
  roots: RootSet;
  startedAt: number;
  /** Says a write the full disk refused once in the log, and when writes go through again. */
  stateDisk?: StateDiskNotice;
}

/** What E's log says goes unrecorded while the disk is full (state-disk.ts says it once). */
const CLIENTS_UNRECORDED = "clients' acknowledgements and when they were last seen (R keeps its own position, so pulls go on)";

/**
 * Writes E's note of a client; false when the disk is full (said once in the log). The note is
 * E's bookkeeping only: nothing E serves depends on it, and R's next acknowledgement writes it.
 */
function noteClient(ctx: HandlerContext, write: () => void): boolean {
  try {
    write();
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    ctx.stateDisk?.failed(err, CLIENTS_UNRECORDED);
    return false;
  }
  ctx.stateDisk?.wrote(CLIENTS_UNRECORDED);
  return true;
}

/** Per-connection state the handlers read and set. */
export interface Session {
  clientId: string | null;
}

export function handlePing(ctx: HandlerContext, req: PingRequest): PingResponse {
  const now = Date.now();
  return { id: req.id, status: 'ok', server_time: now, uptime: (now - ctx.startedAt) / 1000 };
}

export function handleHello(ctx: HandlerContext, session: Session, req: HelloRequest): HelloResponse {
  if (!SUPPORTED_PROTOCOLS.includes(req.protocol)) {
    throw new ZyncError(
      'INCOMPATIBLE_PROTOCOL',
      `Protocol ${req.protocol} is not supported; this daemon speaks ${SUPPORTED_PROTOCOLS.join(', ')}.`,
    );
  }
  session.clientId = req.client_id;
  noteClient(ctx, () => ctx.store.helloClient(req.client_id));
  return {
    id: req.id,
    status: 'ok',
    log_id: ctx.store.logId,
    last_sequence: ctx.store.lastSequence(),
    compacted_through: ctx.store.compactedThrough(),
    dirs: ctx.roots.names(),
    protocol: PROTOCOL_VERSION,
    server_time: Date.now(),
    ...(req.run_of === undefined ? {} : { run_of: { sequence: req.run_of, run_id: ctx.store.runOf(req.run_of) } }),
  };
}

export function handleGetLastSequence(ctx: HandlerContext, req: { id: number }): GetLastSequenceResponse {
  return { id: req.id, status: 'ok', last_sequence: ctx.store.lastSequence() };
}

export function handleGetChanges(ctx: HandlerContext, req: GetChangesRequest): GetChangesResponse {
  const compacted = ctx.store.compactedThrough();
  if (req.since_sequence > 0 && req.since_sequence < compacted) {
    throw new ZyncError(
      'RESYNC_REQUIRED',
      `Sequence ${req.since_sequence} is older than what the log still holds (compacted through ${compacted}); resync.`,
    );
  }
  const currentOnly = req.current_only === true;
  const page = ctx.store.changesSince(req.since_sequence, req.limit, undefined, currentOnly);
  if (req.since_sequence > page.highest_sequence) {
    throw new ZyncError(
      'RESYNC_REQUIRED',
      `Sequence ${req.since_sequence} is beyond this log's highest sequence ${page.highest_sequence}; resync.`,
    );
  }
  // Entries of a name dropped from --dirs stay in the log (it may come back) but are not handed
  // out: R would fail each one as UNKNOWN_BASE_DIR. The page keeps its range; R checks the range,
  // not that its sequences are contiguous.
  const served = new Set(ctx.roots.names());
  const changes = page.changes.filter((c) => served.has(c.base_dir));
  const unavailable = ctx.roots.all().filter((root) => !root.available).map((root) => root.name);
  return {
    id: req.id,
    status: 'ok',
    ...page,
    changes,
    ...(unavailable.length > 0 ? { unavailable_dirs: unavailable } : {}),
    ...(ctx.stateDisk?.changesWaiting === true ? { unlogged_changes: true } : {}),
    ...(currentOnly ? { current_only: true } : {}),
  };
}

export function handleAck(ctx: HandlerContext, session: Session, req: AckChangesRequest): AckResponse {
  if (session.clientId === null) throw new ZyncError('HELLO_REQUIRED', 'Send HELLO with a client_id before ACK_CHANGES.');
  const highest = ctx.store.lastSequence();
  if (req.sequence_number > highest) {
    throw new ZyncError('BAD_MESSAGE', `Cannot acknowledge sequence ${req.sequence_number}: the log ends at ${highest}.`);
  }
  const clientId = session.clientId;
  const recorded = noteClient(ctx, () => ctx.store.ackClient(clientId, req.sequence_number));
  return { id: req.id, status: 'ok', sequence_number: req.sequence_number, ...(recorded ? {} : { recorded: false }) };
}
