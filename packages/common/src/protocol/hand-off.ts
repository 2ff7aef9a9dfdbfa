// The hand-off protocol: how a one-shot `zync-client --update-upstream` asks the running client
// that holds the same state (its lock) to send R's edits for it, over a Unix socket beside the
// state (`<db>.sock`, 0600). Each message is one JSON object on one line; both sides parse every
// line with these schemas. The one-shot sends UPDATE_UPSTREAM (then CANCEL on Ctrl-C); the running
// client answers with LOG, PRINT and PROGRESS lines while it works and one DONE, as the WebSocket
// protocol's responses do (`status`, `code`, `error`). The two ends may be of different zync builds
// (a service not restarted after an upgrade): the request names the hand-off protocol it speaks,
// and the one-shot skips line types it does not know (a newer service's informational ones). A
// service answers a request it cannot read with a defined DONE (readHandOffRequest): a request type
// it does not know with UNKNOWN_OPERATION, as the daemon does, which a newer one-shot recognises;
// services from before that rule answer BAD_MESSAGE ("a message of an unknown shape"). A DONE
// carrying an error code this build does not know (a newer service's) reads as BAD_MESSAGE: its
// sentence still reaches the user. Defines shapes only: no socket here.
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

/** The socket beside a client state: only a running (not --once) client listens on it. */
export function handOffSocketPath(dbPath: string): string {
  return `${dbPath}.sock`;
}

/** The hand-off protocol this build speaks; a change old peers would misread gets a new number. */
export const HAND_OFF_PROTOCOL = 1;
/** Those a running client serves (a request's `protocol`). */
export const SUPPORTED_HAND_OFF_PROTOCOLS: readonly number[] = [1];

/** Longest line either side takes: a longer one is refused, so a peer cannot grow our memory. */
export const MAX_HAND_OFF_LINE = 1024 * 1024;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
/** A log record's level (pino's names); the one-shot's --log-level is one of them too. */
export const HandOffLogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const LogLevelName = HandOffLogLevel;

/**
 * What the one-shot was given, for the running client to compare with its own: the upload is
 * handed over only when both would talk to the same daemon about the same roots. The token and
 * the CA file travel as digests: the running client has its own and only compares.
 */
export const HandOffSetup = z.object({
  server: z.string().min(1).max(4096),
  /** Each --dirs root's real location (realLocation), by name. */
  dirs: z.array(z.object({ name: z.string().min(1).max(255), root: z.string().min(1).max(4096) })).min(1).max(1000),
  token_sha256: sha256,
  ca_sha256: sha256.nullable(),
});
export type HandOffSetup = z.infer<typeof HandOffSetup>;

export const UpdateUpstreamHandOff = z.object({
  operation: z.literal('UPDATE_UPSTREAM'),
  /** The hand-off protocol the one-shot speaks; absent: 1 (the first one-shots sent none). */
  protocol: z.number().int().min(1).optional(),
  /** The one-shot's pid, for the running client's log. */
  pid: z.number().int().min(1),
  setup: HandOffSetup,
  /** --new-disk names for this run. */
  new_disk: z.array(z.string().min(1).max(255)).max(1000),
  /** The one-shot's --log-level (LOG_LEVELS): which log records it wants. */
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']),
  /** How the one-shot shows progress: PROGRESS lines are sent for a status line only (log lines come as LOG). */
  progress: z.enum(['off', 'status-line', 'log-lines']),
});
export type UpdateUpstreamHandOff = z.infer<typeof UpdateUpstreamHandOff>;

/** Ctrl-C on the one-shot: the upload is cancelled as an in-process one would be. */
export const CancelHandOff = z.object({ operation: z.literal('CANCEL') });

export const HandOffRequest = z.discriminatedUnion('operation', [UpdateUpstreamHandOff, CancelHandOff]);
export type HandOffRequest = z.infer<typeof HandOffRequest>;

export const HandOffLog = z.object({
  operation: z.literal('LOG'),
  level: LogLevelName,
  msg: z.string(),
  /** The record's other fields (`code`, say), as the one-shot's own logger would print them. */
  fields: z.record(z.string(), z.unknown()),
});
/** A line the in-process run prints on stdout (the staging id, the counts). */
export const HandOffPrint = z.object({ operation: z.literal('PRINT'), line: z.string() });
/** The status line's text; null clears it. */
export const HandOffProgress = z.object({ operation: z.literal('PROGRESS'), text: z.string().nullable() });
export const HandOffDone = z.discriminatedUnion('status', [
  z.object({ operation: z.literal('DONE'), status: z.literal('ok') }),
  z.object({
    operation: z.literal('DONE'),
    status: z.literal('error'),
    /**
     * null: an unexpected error (exit 1, its stack in `error`). A code this build does not know
     * (a newer service's) reads as BAD_MESSAGE (exit 1), so its sentence is still what is said.
     */
    code: z.enum(ERROR_CODES).catch('BAD_MESSAGE').nullable(),
    error: z.string(),
  }),
]);
export type HandOffDone = z.infer<typeof HandOffDone>;

export const HandOffEvent = z.union([HandOffLog, HandOffPrint, HandOffProgress, HandOffDone]);
export type HandOffEvent = z.infer<typeof HandOffEvent>;

const EVENT_OPERATIONS: ReadonlySet<string> = new Set(['LOG', 'PRINT', 'PROGRESS', 'DONE']);

/** A line of a type this one-shot knows, but of a shape it cannot read: another zync's version. */
export class HandOffLineUnreadable extends Error {
  constructor(readonly operation: string) {
    super(`a ${operation} line this zync-client cannot read`);
    this.name = 'HandOffLineUnreadable';
  }
}

/**
 * What a one-shot makes of a line from the running client: an event it knows; null for a line of
 * another type (a newer service's informational line), which it skips; HandOffLineUnreadable for
 * a known type it cannot read. Not an object with an `operation`: an error.
 */
export function readHandOffEvent(value: unknown): HandOffEvent | null {
  const line = z.object({ operation: z.string() }).safeParse(value);
  if (!line.success) throw new Error('a message of an unknown shape (no operation)');
  if (!EVENT_OPERATIONS.has(line.data.operation)) return null;
  const event = HandOffEvent.safeParse(value);
  if (!event.success) throw new HandOffLineUnreadable(line.data.operation);
  return event.data;
}

/**
 * Why a running client cannot take a request line: in each case the one-shot is another zync's
 * (or not zync at all), and is answered so rather than with "a message of an unknown shape".
 */
export type HandOffRefusal =
  /** A request type this build does not know: a newer one-shot's. */
  | { kind: 'unknown-operation'; operation: string }
  /** A hand-off protocol this build does not serve (SUPPORTED_HAND_OFF_PROTOCOLS). */
  | { kind: 'protocol'; protocol: number }
  /** A known request type of a shape this build cannot read. */
  | { kind: 'unreadable'; operation: string };

export class HandOffRequestRefused extends Error {
  constructor(readonly refusal: HandOffRefusal) {
    super(`a hand-off request refused (${refusal.kind})`);
    this.name = 'HandOffRequestRefused';
  }
}

const REQUEST_OPERATIONS: ReadonlySet<string> = new Set(HandOffRequest.options.map((o) => o.shape.operation.value));

/**
 * What a running client makes of a line from a one-shot: a request it serves; otherwise it throws
 * HandOffRequestRefused (another zync's request), or an Error for a line that is no request at
 * all. The protocol is looked at before the rest of the request, which a protocol this build does
 * not speak may shape differently.
 */
export function readHandOffRequest(value: unknown): HandOffRequest {
  const line = z.object({ operation: z.string() }).safeParse(value);
  if (!line.success) throw new Error('a message of an unknown shape (no operation)');
  const { operation } = line.data;
  if (!REQUEST_OPERATIONS.has(operation)) throw new HandOffRequestRefused({ kind: 'unknown-operation', operation: operation.slice(0, 64) });
  const spoken = z.object({ protocol: z.number().int().min(1).optional() }).safeParse(value);
  if (operation === 'UPDATE_UPSTREAM' && spoken.success && !SUPPORTED_HAND_OFF_PROTOCOLS.includes(spoken.data.protocol ?? 1)) {
    throw new HandOffRequestRefused({ kind: 'protocol', protocol: spoken.data.protocol ?? 1 });
  }
  const request = HandOffRequest.safeParse(value);
  if (!request.success) throw new HandOffRequestRefused({ kind: 'unreadable', operation });
  return request.data;
}

/**
 * Splits a byte stream into JSON lines, parsed with `schema` (or read by a function, which throws
 * what it refuses): whole lines only, each at most MAX_HAND_OFF_LINE bytes. Throws on a line too
 * long, not JSON or not of the schema's shape.
 */
export class JsonLines<T> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly schema: z.ZodType<T> | ((value: unknown) => T)) {}

  push(chunk: Buffer): T[] {
    const out: T[] = [];
    let start = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, at));
      const line = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      start = at + 1;
      if (line.trim() === '') continue;
      out.push(this.parse(line));
    }
    this.take(chunk.subarray(start));
    return out;
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    this.pendingBytes += part.length;
    if (this.pendingBytes > MAX_HAND_OFF_LINE) throw new Error(`a line longer than ${MAX_HAND_OFF_LINE} bytes`);
    this.pending.push(part);
  }

  private parse(line: string): T {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error('a line that is not JSON');
    }
    if (typeof this.schema === 'function') return this.schema(value);
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw new Error(`a message of an unknown shape (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return parsed.data;
  }
}

/** One message as the line that carries it. */
export function handOffLine(message: HandOffRequest | HandOffEvent): string {
  return `${JSON.stringify(message)}\n`;
}
