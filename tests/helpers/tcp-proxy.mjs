// A loopback TCP proxy for the benchmark and the fault tests: it forwards every connection to
// 127.0.0.1:targetPort and can add latency (each way), cut all connections, or stall them.
// It owns only sockets it accepted or opened itself; it never touches the processes on either
// end. Latency is a per-direction queue of chunks stamped with their release time (arrival +
// delay), so order is kept and throughput is not limited by the delay (a link with a long
// round trip, not one sleep per chunk). Plain ESM JavaScript so the benchmark (no build step)
// and TypeScript tests (via tcp-proxy.d.ts) can both import it.
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Data queued in one direction beyond which the source is paused (models a finite link buffer). */
const QUEUE_HIGH_WATER = 32 * 1024 * 1024;

/**
 * Starts the proxy on 127.0.0.1 (OS-chosen port unless `port` is given).
 * @param {{targetPort: number, targetHost?: string, delayMs?: number, host?: string, port?: number}} options
 */
export async function startProxy(options) {
  const targetHost = options.targetHost ?? '127.0.0.1';
  const host = options.host ?? '127.0.0.1';
  let delayMs = checkDelay(options.delayMs ?? 0);
  let refusing = false;
  /** Directions held by stall(): toTarget (client to daemon), toClient (daemon to client). */
  const stalled = { toTarget: false, toClient: false };
  let closed = false;
  const bytes = { toTarget: 0, toClient: 0 };
  const counters = { accepted: 0, refused: 0 };
  /** @type {Set<{destroy(): void, kick(): void}>} */
  const pairs = new Set();

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    if (refusing || closed) {
      counters.refused += 1;
      destroyHard(client);
      return;
    }
    counters.accepted += 1;
    client.setNoDelay(true);
    const upstream = net.connect({ host: targetHost, port: options.targetPort, allowHalfOpen: true, noDelay: true });
    upstream.setNoDelay(true);
    const pair = {
      destroyed: false,
      destroy() {
        if (pair.destroyed) return;
        pair.destroyed = true;
        up.clear();
        down.clear();
        destroyHard(client);
        destroyHard(upstream);
        pairs.delete(pair);
      },
      kick() {
        up.kick();
        down.kick();
      },
    };
    const up = pipeDelayed(client, upstream, (n) => (bytes.toTarget += n), pair, 'toTarget');
    const down = pipeDelayed(upstream, client, (n) => (bytes.toClient += n), pair, 'toClient');
    pairs.add(pair);
    client.on('error', () => pair.destroy());
    upstream.on('error', () => pair.destroy());
    client.on('close', () => pair.destroy());
    upstream.on('close', () => pair.destroy());
  });

  /**
   * Forwards src to dst through a queue released at arrival + delay. Pauses src while the queue
   * (plus dst's own buffer) is above the high-water mark or while the proxy is stalled.
   */
  function pipeDelayed(src, dst, count, pair, direction) {
    const held = () => stalled[direction];
    /** @type {{at: number, chunk: Buffer | null}[]} chunk null = end of stream */
    const queue = [];
    let head = 0;
    let queuedBytes = 0;
    /** @type {{kind: 'immediate', handle: NodeJS.Immediate} | {kind: 'timeout', handle: NodeJS.Timeout} | null} */
    let timer = null;
    let lastAt = 0;
    const cancelTimer = () => {
      if (timer === null) return;
      if (timer.kind === 'immediate') clearImmediate(timer.handle);
      else clearTimeout(timer.handle);
      timer = null;
    };

    const shouldPause = () => held() || queuedBytes + dst.writableLength > QUEUE_HIGH_WATER;
    const updateFlow = () => {
      if (pair.destroyed) return;
      if (shouldPause()) {
        if (!src.isPaused()) src.pause();
      } else if (src.isPaused()) src.resume();
    };

    const release = () => {
      timer = null;
      if (pair.destroyed || held()) return;
      const now = performance.now();
      while (head < queue.length && queue[head].at <= now + 0.5) {
        const item = queue[head];
        queue[head] = undefined;
        head += 1;
        if (item.chunk === null) {
          dst.end();
        } else {
          queuedBytes -= item.chunk.length;
          count(item.chunk.length);
          dst.write(item.chunk);
        }
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      schedule();
      updateFlow();
    };

    const schedule = () => {
      if (timer !== null || held() || pair.destroyed || head >= queue.length) return;
      const wait = queue[head].at - performance.now();
      if (wait <= 0.5) timer = { kind: 'immediate', handle: setImmediate(release) };
      else timer = { kind: 'timeout', handle: setTimeout(release, Math.max(1, Math.floor(wait))) };
    };

    const enqueue = (chunk) => {
      // Monotone release times keep order even when the delay is lowered mid-stream.
      const at = Math.max(performance.now() + delayMs, lastAt);
      lastAt = at;
      queue.push({ at, chunk });
      if (chunk !== null) queuedBytes += chunk.length;
      if (delayMs === 0 && !held() && timer === null) release();
      else schedule();
      updateFlow();
    };

    src.on('data', (chunk) => enqueue(chunk));
    src.on('end', () => enqueue(null));
    dst.on('drain', updateFlow);
    return {
      clear() {
        cancelTimer();
        queue.length = 0;
        head = 0;
        queuedBytes = 0;
      },
      kick() {
        cancelTimer();
        if (!held()) release();
        updateFlow();
      },
    };
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  return {
    port: address.port,
    host,
    url: `ws://${host}:${address.port}`,
    bytes,
    counters,
    get connections() {
      return pairs.size;
    },
    get delayMs() {
      return delayMs;
    },
    /** New delay (ms, each way) for chunks that arrive from now on; queued chunks keep theirs. */
    setDelay(ms) {
      delayMs = checkDelay(ms);
    },
    /** Destroys every connection (both sides) and refuses new ones until restore(). */
    cut() {
      refusing = true;
      for (const pair of [...pairs]) pair.destroy();
    },
    restore() {
      refusing = false;
    },
    /**
     * Stops forwarding without closing anything; data is held, not lost. Both directions, or only
     * `direction` ('toClient': the daemon's answers wait while the client's requests go through).
     */
    stall(direction) {
      if (direction !== 'toClient') stalled.toTarget = true;
      if (direction !== 'toTarget') stalled.toClient = true;
      for (const pair of pairs) pair.kick();
    },
    unstall() {
      stalled.toTarget = false;
      stalled.toClient = false;
      for (const pair of [...pairs]) pair.kick();
    },
    /** Closes the listener and every connection. */
    async close() {
      if (closed) return;
      closed = true;
      for (const pair of [...pairs]) pair.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function checkDelay(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`invalid proxy delay: ${ms}`);
  return ms;
}

/**
 * Destroys a socket. Deliberately not resetAndDestroy(): on Node 20 a reset socket with writes
 * still queued leaves a write request behind that makes the process spin at exit.
 */
function destroyHard(socket) {
  if (!socket.destroyed) socket.destroy();
}
