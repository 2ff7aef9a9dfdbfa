// The zync wire protocol, defined once. Every JSON text frame that crosses the socket is parsed
// with these schemas; the TypeScript types are inferred from them, so nothing else may declare
// a message shape. Field names keep the vocabulary of the original zync protocol.
//
// Frames:
// - text frames carry one JSON object: a request `{operation, id, ...}`, a response
//   `{id, status: "ok" | "error", ...}`, or a push `{operation: "CHANGES_AVAILABLE", ...}`;
// - binary frames carry file content: a 4-byte big-endian request id, then bytes (see framing.ts).
//   GET_FILE answers with a header response, binary frames, then a FILE_END trailer;
//   GET_FILES (many small files, one round trip) answers with one response listing each file,
//   then one binary frame per listed non-empty file, in the listed order;
//   UPSTREAM_FILE is followed by `size` bytes of binary frames tagged with its own id.
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

export const MAX_REQUEST_ID = 0xffff_ffff;
export const MAX_CHANGES_PAGE = 5000;
export const MAX_PATH_LENGTH = 4096;
/** Paths in one GET_FILES request. */
export const MAX_BATCH_FILES = 512;
/** Largest file GET_FILES serves; bigger ones stream through GET_FILE. */
export const MAX_BATCH_FILE_BYTES = 256 * 1024;
/** Content bytes of one GET_FILES answer, so one answer holds bounded memory. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Staging ids one UPSTREAM_STATUS asks about. */
export const MAX_STATUS_IDS = 1000;

const requestId = z.number().int().min(0).max(MAX_REQUEST_ID);
const sequence = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const checksum = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const baseDir = z.string().min(1).max(255);
/** A relative POSIX path as sent on the wire; safety is checked separately (paths.ts). */
const relPath = z.string().min(1).max(MAX_PATH_LENGTH);
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A file's mtime: before 1970 it is negative (`touch -d 1960-01-01`, some archives), and valid. */
const mtimeMs = z.number().finite();
/** When the daemon logged an entry: its own clock, never before 1970. */
const timestampMs = z.number().finite().min(0);
const mode = z.number().int().min(0).max(0o7777);
/**
 * A run of E's change log: the stretch of sequences one process (a daemon run, a zync-apply)
 * logged from its first entry on, named by a random id. A database restored from an older copy
 * lacks the runs logged after the copy, and the run it ended in ends there: the sequences after
 * that are logged again, by other runs.
 */
const runId = z.string().min(1).max(100);

export const ChangeOperation = z.enum(['add', 'modify', 'delete']);
export type ChangeOperation = z.infer<typeof ChangeOperation>;
export const EntryKind = z.enum(['file', 'dir']);
export type EntryKind = z.infer<typeof EntryKind>;

/**
 * One change log entry as sent by GET_CHANGES. A delete has checksum null and size 0; the
 * deletion of a file may name the content it removed in `deleted_checksum` (added later: absent
 * from older daemons and from deletions they logged).
 */
export const ChangeEntry = z.object({
  sequence,
  operation: ChangeOperation,
  kind: EntryKind,
  base_dir: baseDir,
  path: relPath,
  checksum: checksum.nullable(),
  size,
  mtime: mtimeMs,
  mode,
  timestamp: timestampMs,
  deleted_checksum: checksum.optional(),
});
export type ChangeEntry = z.infer<typeof ChangeEntry>;

// ---- requests (client → daemon) ----

const req = <O extends string, S extends z.ZodRawShape>(operation: O, shape: S) =>
  z.object({ operation: z.literal(operation), id: requestId, ...shape });

export const PingRequest = req('PING', {});
export const HelloRequest = req('HELLO', {
  client_id: z.string().min(1).max(200),
  protocol: z.number().int().min(0),
  /**
   * Added later: a sequence R holds the run of (GET_CHANGES `run_id`), so that E says which run
   * logged it in E's database now (HELLO `run_of`). An older daemon drops it (and answers none).
   */
  run_of: sequence.optional(),
});
export const GetLastSequenceRequest = req('GET_LAST_SEQUENCE', {});
export const GetChangesRequest = req('GET_CHANGES', {
  since_sequence: sequence,
  limit: z.number().int().min(1).max(MAX_CHANGES_PAGE).default(1000),
  /**
   * Added later (a resync sends it): only the entries that are each path's current state on E,
   * as a fully compacted log would hold them, so that no superseded content is placed on R. The
   * page still covers (from_sequence, to_sequence]. Older daemons strip it and answer with every
   * entry; the response's `current_only` says it was honoured.
   */
  current_only: z.boolean().optional(),
});
/**
 * One file, streamed. `offset` asks to resume a download cut short: frames start there, and the
 * daemon still verifies the whole file's checksum. A daemon may start from 0 instead (it says so
 * in the header's `offset`); frames then hold the whole file.
 */
export const GetFileRequest = req('GET_FILE', { base_dir: baseDir, path: relPath, offset: size.optional() });
/** Small files of one base_dir in one round trip (each at most MAX_BATCH_FILE_BYTES). */
export const GetFilesRequest = req('GET_FILES', {
  base_dir: baseDir,
  paths: z.array(relPath).min(1).max(MAX_BATCH_FILES),
});
export const AckChangesRequest = req('ACK_CHANGES', { sequence_number: sequence });
export const PrepareUpstreamRequest = req('PREPARE_UPSTREAM', {
  file_count: z.number().int().min(0).max(10_000_000),
  /**
   * R's host name (os.hostname()), so that zync-apply can say which R sent a session. Optional:
   * older clients send none, and older daemons drop it (z.object strips unknown keys).
   */
  host_name: z.string().min(1).max(255).optional(),
});
/**
 * One staged entry. For an add or modify, exactly `size` bytes follow as binary frames tagged
 * with this request's id, and `checksum` is their SHA-256. E may answer with an error before they
 * all arrived (IGNORED_PATH as soon as the request comes; newer daemons): R then sends no more of
 * them, and E drops those already on their way. A deletion sends `delete: true`,
 * checksum null, size 0 and no bytes. `base_checksum` is what R last received (null: new on R).
 * `kind: 'dir'` (added for upstream directories) stages a directory R created or removed:
 * checksum null, size 0, no bytes; base_checksum null, except for a directory R made where it
 * had received a file: that file's checksum (one entry for the path, not a deletion beside it).
 */
export const UpstreamFileRequest = req('UPSTREAM_FILE', {
  staging_id: z.string().min(1).max(100).optional(),
  base_dir: baseDir,
  path: relPath,
  checksum: checksum.nullable(),
  size,
  base_checksum: checksum.nullable(),
  mode: mode.optional(),
  /**
   * The permission bits of the file R received (its base), so E can keep a chmod of its own that
   * R did not make. Added later: absent from older clients, whose `mode` then simply wins.
   */
  base_mode: mode.optional(),
  mtime: mtimeMs.optional(),
  delete: z.boolean().default(false),
  kind: EntryKind.default('file'),
  /**
   * Added later, sent only to a daemon whose HELLO offers `upstream_from_e`: no bytes follow; E
   * stages the content from a live file of its own holding `checksum`, or (newer daemons) from a
   * staged file of a session still waiting for zync-apply (copied and hashed, so a copy changed
   * since E recorded it does not count). E answers ok once it is staged, or
   * CONTENT_NEEDED when it holds no such copy: R then sends the entry again with its bytes.
   */
  from_e: z.boolean().optional(),
});
/**
 * Added later (an older daemon answers UNKNOWN_OPERATION): R leaves an entry out of the open
 * session — a file that changed while it was being sent. What arrived of it is discarded (an
 * upload still waiting for bytes is ended: none follow, and its own request gets no answer), and
 * the session expects one entry fewer, so FINALIZE_UPSTREAM stages the others. R may still send
 * the path again in the session (the file read once more), which counts it back in. A path staged
 * already, or left out already, is refused — unless `staged` is true.
 */
export const DropUpstreamFileRequest = req('DROP_UPSTREAM_FILE', {
  staging_id: z.string().min(1).max(100).optional(),
  base_dir: baseDir,
  path: relPath,
  /**
   * Added later: the entry is staged already and R takes it back out before FINALIZE_UPSTREAM —
   * one staged without bytes read (a directory, a deletion, an empty file) that no longer holds
   * on R (the directory removed, the deleted path made again). Only an entry E has answered for
   * can be taken out. An older daemon drops the field and refuses, as for any staged path: the
   * session is then finalized with the entry, as before.
   */
  staged: z.boolean().optional(),
});
export const FinalizeUpstreamRequest = req('FINALIZE_UPSTREAM', {
  staging_id: z.string().min(1).max(100).optional(),
});
/**
 * Added later (an older daemon answers UNKNOWN_OPERATION): where the asking client's staging
 * sessions stand on E, so R sends again what E discarded instead of waiting on it forever.
 */
export const UpstreamStatusRequest = req('UPSTREAM_STATUS', {
  staging_ids: z.array(z.string().min(1).max(100)).min(1).max(MAX_STATUS_IDS),
});

export const Request = z.discriminatedUnion('operation', [
  PingRequest,
  HelloRequest,
  GetLastSequenceRequest,
  GetChangesRequest,
  GetFileRequest,
  GetFilesRequest,
  AckChangesRequest,
  PrepareUpstreamRequest,
  UpstreamFileRequest,
  DropUpstreamFileRequest,
  FinalizeUpstreamRequest,
  UpstreamStatusRequest,
]);
export type Request = z.infer<typeof Request>;
export type Operation = Request['operation'];
export const OPERATIONS = Request.options.map((o) => o.shape.operation.value) as Operation[];

export type PingRequest = z.infer<typeof PingRequest>;
export type HelloRequest = z.infer<typeof HelloRequest>;
export type GetChangesRequest = z.infer<typeof GetChangesRequest>;
export type GetFileRequest = z.infer<typeof GetFileRequest>;
export type GetFilesRequest = z.infer<typeof GetFilesRequest>;
export type AckChangesRequest = z.infer<typeof AckChangesRequest>;
export type PrepareUpstreamRequest = z.infer<typeof PrepareUpstreamRequest>;
export type UpstreamFileRequest = z.infer<typeof UpstreamFileRequest>;
export type DropUpstreamFileRequest = z.infer<typeof DropUpstreamFileRequest>;
export type FinalizeUpstreamRequest = z.infer<typeof FinalizeUpstreamRequest>;
export type UpstreamStatusRequest = z.infer<typeof UpstreamStatusRequest>;

// ---- responses (daemon → client) ----

const ok = <S extends z.ZodRawShape>(shape: S) =>
  z.object({ id: requestId, status: z.literal('ok'), ...shape });

/**
 * An error code as received: one this version does not know (a newer peer's) reads as
 * BAD_MESSAGE, so the peer's sentence still reaches the user instead of "malformed response".
 * Not INTERNAL: the client gives up for good on that (runner.ts isFatal), and a newer daemon's
 * code may well be one a retry gets past; BAD_MESSAGE is what such an answer always led to.
 */
const receivedErrorCode = z.enum(ERROR_CODES).catch('BAD_MESSAGE');

export const ErrorResponse = z.object({
  id: requestId.nullable(),
  status: z.literal('error'),
  code: receivedErrorCode,
  error: z.string(),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

export const PingResponse = ok({ server_time: z.number(), uptime: z.number() });
export const HelloResponse = ok({
  log_id: z.string().min(1),
  last_sequence: sequence,
  /**
   * Deletions at or below this sequence may have been compacted away, so a client whose cursor
   * is older must resync. (Superseded entries may be dropped anywhere: the later entry covers them.)
   */
  compacted_through: sequence,
  dirs: z.array(baseDir),
  protocol: z.number().int(),
  server_time: z.number(),
  /** Added later: the daemon takes UPSTREAM_FILE's `from_e` (absent from older daemons: R sends every file's bytes). */
  upstream_from_e: z.boolean().optional(),
  /**
   * Added later, to a HELLO that asked `run_of`: the run that logged that sequence in E's database
   * now (null: none does). Another run than the one R was told for it: E's database was restored
   * from an older copy and the sequence was logged again, for other changes.
   */
  run_of: z.object({ sequence, run_id: runId.nullable() }).optional(),
});
export const GetLastSequenceResponse = ok({ last_sequence: sequence });
/**
 * A page of the log covering (from_sequence, to_sequence]; a gap is detectable, never silent.
 * `unavailable_dirs` (added later; absent from older daemons, and when every root is there): the
 * served roots E holds as unavailable now (missing, or emptied: an unmounted disk), whose changes
 * are not logged until they are back — so R may be behind for them while it reads "up to date".
 */
export const GetChangesResponse = ok({
  changes: z.array(ChangeEntry),
  from_sequence: sequence,
  to_sequence: sequence,
  more_available: z.boolean(),
  highest_sequence: sequence,
  unavailable_dirs: z.array(baseDir).optional(),
  /**
   * Added later (absent from older daemons, and while E logs its changes): E's disk is full under
   * its state database and changes it saw wait to be logged, so the page's end is not E's tree.
   */
  unlogged_changes: z.boolean().optional(),
  /** Added later (absent from older daemons, and for an empty log): the run that logged `to_sequence`. */
  run_id: runId.optional(),
  /** Added later: true when the request's `current_only` was honoured (absent from older daemons). */
  current_only: z.boolean().optional(),
});
/**
 * GET_FILE header; `size - offset` bytes of binary frames tagged with the request id follow.
 * `offset` (absent: 0) is where the frames start; `checksum` and `size` are the whole file's.
 */
export const GetFileHeader = ok({
  operation: z.literal('GET_FILE'),
  checksum,
  size,
  mtime: mtimeMs,
  mode,
  offset: size.optional(),
});
/**
 * GET_FILE trailer, after the last binary frame: the whole file's recorded checksum and size,
 * sent once the file held still (by stat) while it was read. R verifies the bytes against it.
 */
export const FileEndResponse = ok({ operation: z.literal('FILE_END'), checksum, size });
/** One file of a GET_FILES answer: its recorded attributes, or why it was not sent. */
export const BatchedFile = z.discriminatedUnion('status', [
  z.object({ path: relPath, status: z.literal('ok'), checksum, size, mtime: mtimeMs, mode }),
  z.object({ path: relPath, status: z.literal('error'), code: receivedErrorCode, error: z.string() }),
]);
/**
 * GET_FILES answer: one entry per requested path, in request order. Then, for each 'ok' file
 * with a size above 0 and in the same order, one binary frame tagged with the request id holding
 * exactly its content; `size` is the sum of those sizes. Every 'ok' file's bytes hash to its
 * checksum. (One frame per file, not one for the batch: a frame that fits in a socket read is
 * delivered without a copy.)
 */
export const GetFilesResponse = ok({ operation: z.literal('GET_FILES'), files: z.array(BatchedFile), size });
/**
 * `recorded` (added later; absent when it was): false when E could not write the acknowledgement
 * down (its disk is full). R's position is R's own, so nothing is pulled again; R acknowledges
 * again at its next pass, so E's note catches up once there is room.
 */
export const AckResponse = ok({ sequence_number: sequence, recorded: z.boolean().optional() });
export const PrepareUpstreamResponse = ok({ staging_id: z.string() });
/**
 * What E did to a path since the base R edited from, as UPSTREAM_FILE reports it with a conflict
 * (so R can say "E deleted it" rather than "E changed it"): changed the file, deleted it (or
 * removed the directory), put a file or a directory where R's path was new, or replaced the
 * file with a directory or the directory with a file.
 */
export const EChange = z.enum(['modified', 'deleted', 'added_file', 'added_dir', 'replaced_with_dir', 'replaced_with_file']);
export type EChange = z.infer<typeof EChange>;
/**
 * `e_change` (added after `conflict`; absent from older daemons) is given with every conflict.
 * It only words a message, so a value a newer daemon adds is read as absent, not refused.
 */
export const UpstreamFileResponse = ok({ staging_id: z.string(), conflict: z.boolean(), e_change: EChange.optional().catch(undefined) });
/** `file_count`: the entries the session now expects, the ones left out not counted. */
export const DropUpstreamFileResponse = ok({ staging_id: z.string(), file_count: z.number().int().min(0) });
export const FinalizeUpstreamResponse = ok({
  staging_id: z.string(),
  file_count: z.number().int(),
  conflict_count: z.number().int(),
});

/**
 * Where a staging session stands on E: `pending` (complete, waiting for zync-apply),
 * `partly_applied` (an apply resolved some entries and was stopped), `applied`, `discarded`
 * (zync-apply discard: never applied), `aborted` (cut off before FINALIZE), `uploading` (not
 * finalized yet), `unknown` (no such session of this client). A state a newer daemon adds is read
 * as `pending`: R then keeps waiting rather than sending the same edits twice.
 */
export const UpstreamSessionState = z.enum(['pending', 'partly_applied', 'applied', 'discarded', 'aborted', 'uploading', 'unknown']);
export type UpstreamSessionState = z.infer<typeof UpstreamSessionState>;
/**
 * One entry per distinct staging id asked about, in the order asked. Added later, for an applied
 * session: `applied_from`, E's last log sequence when zync-apply began applying it — E's entries
 * up to it predate E's decision on R's edits, which later entries carry. Absent from an older
 * daemon, for a session applied by an older zync-apply, and for every other state.
 */
export const UpstreamStatusResponse = ok({
  sessions: z.array(
    z.object({
      staging_id: z.string(),
      state: UpstreamSessionState.catch('pending'),
      applied_from: z.number().int().nonnegative().optional().catch(undefined),
    }),
  ),
});

export type PingResponse = z.infer<typeof PingResponse>;
export type HelloResponse = z.infer<typeof HelloResponse>;
export type GetLastSequenceResponse = z.infer<typeof GetLastSequenceResponse>;
export type GetChangesResponse = z.infer<typeof GetChangesResponse>;
export type GetFileHeader = z.infer<typeof GetFileHeader>;
export type FileEndResponse = z.infer<typeof FileEndResponse>;
export type BatchedFile = z.infer<typeof BatchedFile>;
export type GetFilesResponse = z.infer<typeof GetFilesResponse>;
export type AckResponse = z.infer<typeof AckResponse>;
export type PrepareUpstreamResponse = z.infer<typeof PrepareUpstreamResponse>;
export type UpstreamFileResponse = z.infer<typeof UpstreamFileResponse>;
export type DropUpstreamFileResponse = z.infer<typeof DropUpstreamFileResponse>;
export type FinalizeUpstreamResponse = z.infer<typeof FinalizeUpstreamResponse>;
export type UpstreamStatusResponse = z.infer<typeof UpstreamStatusResponse>;

/** Which success schema answers which operation (GET_FILE's header; FILE_END follows). */
export const RESPONSE_FOR = {
  PING: PingResponse,
  HELLO: HelloResponse,
  GET_LAST_SEQUENCE: GetLastSequenceResponse,
  GET_CHANGES: GetChangesResponse,
  GET_FILE: GetFileHeader,
  GET_FILES: GetFilesResponse,
  ACK_CHANGES: AckResponse,
  PREPARE_UPSTREAM: PrepareUpstreamResponse,
  UPSTREAM_FILE: UpstreamFileResponse,
  DROP_UPSTREAM_FILE: DropUpstreamFileResponse,
  FINALIZE_UPSTREAM: FinalizeUpstreamResponse,
  UPSTREAM_STATUS: UpstreamStatusResponse,
} as const satisfies Record<Operation, z.ZodType>;

export type ResponseFor<O extends Operation> = z.infer<(typeof RESPONSE_FOR)[O]>;
export type RequestFor<O extends Operation> = Extract<z.input<typeof Request>, { operation: O }>;

// ---- pushes (daemon → client, no id) ----

export const ChangesAvailablePush = z.object({
  operation: z.literal('CHANGES_AVAILABLE'),
  highest_sequence: sequence,
});
export type ChangesAvailablePush = z.infer<typeof ChangesAvailablePush>;

/**
 * Anything the daemon may send as a text frame, told apart loosely first (push vs response),
 * then checked against the exact schema by the receiver that knows which request it answers.
 */
export const IncomingEnvelope = z.union([
  z.object({ operation: z.literal('CHANGES_AVAILABLE') }).loose(),
  z.object({ id: requestId.nullable(), status: z.enum(['ok', 'error']) }).loose(),
]);
