// Liveness of the peer on one WebSocket, for both ends (daemon and client): a ping every
// interval, and the peer is declared dead after `missedBeats` consecutive intervals without a
// sign of life. A sign of life is any byte read from the peer (a pong, its own ping, data), or
// progress in flushing our own send backlog (a slow link busy with a large transfer is alive
// even if our ping waits behind megabytes of content). A stalled tunnel that keeps TCP open
// shows neither and is detected within missedBeats intervals. Two things are not the peer's
// fault and count as alive: our own event loop running late (the tick itself was delayed), and
// our having paused reading (backpressure) with nothing waiting to be sent.
// judgeLiveness is the pure decision; startHeartbeat is the timer around it. It reads socket
// counters and calls ping(); it never closes anything itself (onDead does).
import { performance } from 'node:perf_hooks';

/** Ping every 2 s; a peer silent for 2 intervals in a row (4–6 s) is dead. */
export const HEARTBEAT_INTERVAL_MS = 2000;
export const HEARTBEAT_MISSED_BEATS = 2;

/** What one tick observes on the socket. */
export interface LivenessSample {
  /** Monotonic milliseconds. */
  at: number;
  /** Bytes read from the peer so far. */
  bytesRead: number;
  /** Bytes handed to the OS so far (written minus still queued). */
  flushed: number;
  /** Bytes queued in the socket, not yet handed to the OS. */
  backlog: number;
  /** We stopped reading the socket ourselves (backpressure). */
  readingPaused: boolean;
}

export interface LivenessVerdict {
  /** Consecutive ticks without a sign of life (0 after one). */
  silentBeats: number;
  dead: boolean;
  /** Why the tick counted as alive, for debugging; null when silent. */
  sign: 'read' | 'flushed' | 'late-tick' | 'paused' | null;
}

/** Decides from two consecutive samples whether the peer showed a sign of life. Pure. */
export function judgeLiveness(
  previous: LivenessSample,
  current: LivenessSample,
  silentBeats: number,
  options: { intervalMs: number; missedBeats: number },
): LivenessVerdict {
  const alive = (sign: Exclude<LivenessVerdict['sign'], null>): LivenessVerdict => ({ silentBeats: 0, dead: false, sign });
  if (current.bytesRead > previous.bytesRead) return alive('read');
  if (previous.backlog > 0 && current.flushed > previous.flushed) return alive('flushed');
  if (current.at - previous.at > options.intervalMs * 1.5) return alive('late-tick');
  if (current.readingPaused && current.backlog === 0) return alive('paused');
  const silent = silentBeats + 1;
  return { silentBeats: silent, dead: silent >= options.missedBeats, sign: null };
}

/** The socket counters a heartbeat reads (net.Socket and tls.TLSSocket have them). */
export interface HeartbeatSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly writableLength: number;
}

export interface HeartbeatOptions {
  /** Sends one ping (ws.ping()); errors are ignored, the socket's close handles them. */
  ping(): void;
  /** Whether we paused reading the socket (ws.isPaused). */
  isPaused(): boolean;
  socket: HeartbeatSocket;
  /** Called once when the peer is declared dead, with how long it was silent (ms). */
  onDead(silentMs: number): void;
  intervalMs?: number;
  missedBeats?: number;
}

/** Starts pinging; returns a function that stops the heartbeat. The timer does not hold the process. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const missedBeats = options.missedBeats ?? HEARTBEAT_MISSED_BEATS;
  const sample = (): LivenessSample => {
    const { bytesRead, bytesWritten, writableLength } = options.socket;
    return {
      at: performance.now(),
      bytesRead: bytesRead ?? 0,
      flushed: (bytesWritten ?? 0) - (writableLength ?? 0),
      backlog: writableLength ?? 0,
      readingPaused: options.isPaused(),
    };
  };
  let previous = sample();
  let lastSign = previous.at;
  let silentBeats = 0;
  let stopped = false;
  const timer = setInterval(() => {
    const current = sample();
    const verdict = judgeLiveness(previous, current, silentBeats, { intervalMs, missedBeats });
    previous = current;
    silentBeats = verdict.silentBeats;
    if (verdict.sign !== null) lastSign = current.at;
    if (verdict.dead) {
      stop();
      options.onDead(Math.round(current.at - lastSign));
      return;
    }
    try {
      options.ping();
    } catch {
      // The socket is closing; its close event ends the connection.
    }
  }, intervalMs);
  timer.unref();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
