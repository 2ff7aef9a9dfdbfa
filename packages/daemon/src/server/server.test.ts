// The server in-process, for what the end-to-end tests cannot time: the heartbeat drops a peer
// that stops answering pings, and CHANGES_AVAILABLE is pushed once per new highest sequence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@zync/common';
import { RootSet } from '../roots.js';
import { DaemonStore } from '../store/daemon-store.js';
import { DaemonServer } from './server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(heartbeatMs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-server-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = DaemonStore.open(path.join(dir, 'sync.db'));
  cleanups.push(() => store.close());
  const roots = await RootSet.load([{ name: 'w', root: dir }]);
  const server = await DaemonServer.listen({
    host: '127.0.0.1',
    port: 0,
    token: 'tok',
    log: createLogger('test', 'silent'),
    heartbeatMs,
    deps: { store, roots, upstream: undefined, startedAt: Date.now() },
  });
  cleanups.push(() => server.close());
  return { server, store, url: `ws://127.0.0.1:${server.port}` };
}

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer tok' }, ...options });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('DaemonServer', () => {
  it('drops a peer that misses two heartbeats and keeps one that answers', async () => {
    const { url, server } = await start(50);
    const silent = await open(url, { autoPong: false });
    const alive = await open(url);
    const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006); // terminated, no close frame
    expect(alive.readyState).toBe(WebSocket.OPEN);
    for (const deadline = Date.now() + 5000; server.clientCount !== 1 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(server.clientCount).toBe(1);
    alive.close();
  });

  it('pushes CHANGES_AVAILABLE once per new highest sequence', async () => {
    const { url, server } = await start(10_000);
    const ws = await open(url);
    const pushes: unknown[] = [];
    ws.on('message', (data) => pushes.push(JSON.parse(String(data))));
    server.notifyChanges(3);
    server.notifyChanges(3);
    server.notifyChanges(2);
    server.notifyChanges(5);
    ws.send(JSON.stringify({ operation: 'PING', id: 1 }));
    await new Promise<void>((resolve) => ws.on('message', (d) => JSON.parse(String(d)).id === 1 && resolve()));
    expect(pushes.slice(0, 2)).toEqual([
      { operation: 'CHANGES_AVAILABLE', highest_sequence: 3 },
      { operation: 'CHANGES_AVAILABLE', highest_sequence: 5 },
    ]);
    ws.close();
  });
});
