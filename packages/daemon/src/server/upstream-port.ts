// The seam between the WebSocket server and upstream staging (src/upstream/, owned separately).
// The server owns sockets, auth, framing and validation; it hands every validated upstream
// request and every binary frame of its connection to one UpstreamConnection, and tells it when
// the socket closes. This file declares the contract only: no I/O, no implementation.
import type {
  DropUpstreamFileRequest,
  FinalizeUpstreamRequest,
  Logger,
  PrepareUpstreamRequest,
  UpstreamFileRequest,
  UpstreamStatusResponse,
} from '@zync/common';

export type UpstreamRequest = PrepareUpstreamRequest | UpstreamFileRequest | DropUpstreamFileRequest | FinalizeUpstreamRequest;

/** What the server gives an upstream connection: its peer, a way to answer, flow control. */
export interface UpstreamContext {
  /** The client_id from this connection's HELLO (upstream requests are refused before HELLO). */
  clientId: string;
  /** Sends one JSON text frame (a response with the request's id, or an error response). */
  send(msg: object): void;
  /** Stops reading from the socket (backpressure while staged bytes are written to disk). */
  pause(): void;
  /** Resumes reading; pause/resume calls are counted, so each pause needs one resume. */
  resume(): void;
  log: Logger;
}

export interface UpstreamConnection {
  /** A validated PREPARE_UPSTREAM, UPSTREAM_FILE, DROP_UPSTREAM_FILE or FINALIZE_UPSTREAM; answer through ctx.send. */
  handleRequest(req: UpstreamRequest): void;
  /**
   * A binary frame (already split into request id and payload). Returns false when `id` is not an
   * open upload of this connection; the server then answers an error for that id.
   * The payload may share memory with the socket's buffer: copy it if it is kept past the call.
   */
  handleBinary(id: number, payload: Buffer): boolean;
  /** The socket closed: sessions not finalized are aborted and their staged files removed. */
  close(): void;
}

export interface UpstreamPort {
  /** Called once per connection, at its first upstream request (after HELLO). */
  openConnection(ctx: UpstreamContext): UpstreamConnection;
  /** UPSTREAM_STATUS: where each of this client's sessions stands, one entry per distinct id, in order. */
  sessionStates(clientId: string, stagingIds: readonly string[]): UpstreamStatusResponse['sessions'];
  /**
   * Optional: called at shutdown after every connection was closed and before the store is;
   * resolves once no staging work (file writes, store updates) is still running.
   */
  close?(): Promise<void>;
}
