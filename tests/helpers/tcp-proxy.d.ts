// Types for tcp-proxy.mjs (a loopback TCP proxy with latency, cut and stall for fault tests and
// the benchmark). Import it as `import { startProxy } from './helpers/tcp-proxy.mjs'`.

export interface ProxyOptions {
  /** Port on targetHost that every accepted connection is forwarded to. */
  targetPort: number;
  /** Default 127.0.0.1. */
  targetHost?: string;
  /** Latency added in each direction to every chunk, in ms (order kept; throughput not limited). */
  delayMs?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (the OS picks one). */
  port?: number;
}

export interface TcpProxy {
  readonly port: number;
  readonly host: string;
  /** `ws://host:port`, for pointing a client at the proxy. */
  readonly url: string;
  /** Bytes forwarded so far (live counters). */
  readonly bytes: { toTarget: number; toClient: number };
  /** Connections accepted and refused (while cut) so far. */
  readonly counters: { accepted: number; refused: number };
  /** Connections currently open through the proxy. */
  readonly connections: number;
  readonly delayMs: number;
  /** Latency for chunks arriving from now on; chunks already queued keep their release time. */
  setDelay(ms: number): void;
  /** Destroys every connection (TCP reset) and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /**
   * Stops forwarding without closing; held data flows again after unstall(). Both ways, or one
   * (`toClient`: the daemon's answers are held while the client's requests still reach it).
   */
  stall(direction?: 'toClient' | 'toTarget'): void;
  unstall(): void;
  /** Closes the listener and all connections. */
  close(): Promise<void>;
}

export function startProxy(options: ProxyOptions): Promise<TcpProxy>;
