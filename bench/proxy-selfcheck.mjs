#!/usr/bin/env node
// Self-check of tests/helpers/tcp-proxy.mjs against a local echo server: the added latency is
// what was asked for, a 25 ms delay does not throttle throughput, bytes arrive in order,
// stall/unstall hold and release data, cut/restore refuse and accept connections, half-close
// is forwarded. `node bench/proxy-selfcheck.mjs`; exits 1 on the first failed check. Touches
// only sockets it opens.
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { startProxy } from '../tests/helpers/tcp-proxy.mjs';

const DELAY_MS = 25;
const check = (ok, what) => {
  if (!ok) {
    console.error(`FAIL ${what}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
};
const nextData = (socket) => new Promise((resolve) => socket.once('data', resolve));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const echo = net.createServer((s) => {
  s.on('error', () => {});
  s.pipe(s);
});
await new Promise((resolve) => echo.listen(0, '127.0.0.1', resolve));
const proxy = await startProxy({ targetPort: echo.address().port, delayMs: DELAY_MS });
const connect = () =>
  new Promise((resolve, reject) => {
    const s = net.connect(proxy.port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
    s.on('error', reject);
  });

// Latency: a round trip crosses the proxy once in each direction: 2 x delay.
let socket = await connect();
const rtts = [];
for (let i = 0; i < 10; i++) {
  const started = performance.now();
  socket.write('x');
  await nextData(socket);
  rtts.push(performance.now() - started);
}
console.log(`     round trips (ms): ${rtts.map((r) => r.toFixed(1)).join(' ')}`);
check(Math.min(...rtts) >= 2 * DELAY_MS - 1 && Math.max(...rtts) < 2 * DELAY_MS + 15, `round trip ~${2 * DELAY_MS} ms`);

// Throughput and order: 256 MiB echoed through the delayed proxy, hashed on both ends.
const total = 256 * 1024 * 1024;
const sentHash = createHash('sha256');
const gotHash = createHash('sha256');
let received = 0;
const started = performance.now();
const echoed = new Promise((resolve) => {
  const onData = (d) => {
    gotHash.update(d);
    received += d.length;
    if (received >= total) {
      socket.off('data', onData);
      resolve();
    }
  };
  socket.on('data', onData);
});
let sent = 0;
let counter = 0;
await new Promise((resolve) => {
  const pump = () => {
    while (sent < total) {
      const block = Buffer.alloc(1024 * 1024, counter & 0xff);
      block.writeUInt32LE(counter++, 0);
      sentHash.update(block);
      sent += block.length;
      if (!socket.write(block)) return void socket.once('drain', pump);
    }
    resolve();
  };
  pump();
});
await echoed;
const seconds = (performance.now() - started) / 1000;
console.log(`     echoed 256 MiB through the ${DELAY_MS} ms proxy in ${seconds.toFixed(2)} s (${(256 / seconds).toFixed(0)} MiB/s each way)`);
check(sentHash.digest('hex') === gotHash.digest('hex'), 'bytes arrive complete and in order');
check(256 / seconds > 50, 'throughput not bound by the delay (> 50 MiB/s echoed, 8 KiB windows would give < 1)');
check(proxy.bytes.toTarget === total + 10 && proxy.bytes.toClient === total + 10, `byte counters ${JSON.stringify(proxy.bytes)}`);

// Stall holds data without closing; unstall releases it.
proxy.setDelay(0);
socket.write('y');
await nextData(socket);
proxy.stall();
let arrived = false;
const onStalled = () => (arrived = true);
socket.on('data', onStalled);
socket.write('z');
await pause(200);
check(!arrived && !socket.destroyed, 'stall holds data and keeps the connection');
proxy.unstall();
await pause(50);
check(arrived, 'unstall releases the held data');
socket.off('data', onStalled);

// Cut closes every connection and refuses new ones until restore.
socket.on('error', () => {});
const closed = new Promise((resolve) => socket.on('close', resolve));
proxy.cut();
await closed;
check(true, 'cut closes open connections');
const refused = await new Promise((resolve) => {
  const c = net.connect(proxy.port, '127.0.0.1');
  c.on('error', () => resolve(true));
  c.on('close', () => resolve(true));
  c.on('data', () => resolve(false));
  c.write('q');
});
check(refused && proxy.counters.refused >= 1, 'new connections refused while cut');
proxy.restore();
socket = await connect();
socket.write('w');
check(String(await nextData(socket)) === 'w', 'connections work again after restore');

// Half-close travels through.
const half = await connect();
half.on('data', () => {});
const ended = new Promise((resolve) => half.on('end', resolve));
half.end('bye');
await ended;
check(true, 'half-close is forwarded');

socket.destroy();
await proxy.close();
echo.close();
check(proxy.connections === 0, 'close() leaves no connection open');
