// The moment between a .zyncignore edit and the rescan it triggers, held open in-process (the
// real daemon has no hook to hold it, and a restart closes it: the start-up scan marks rows
// before anyone is served). The rules in force are the new ones, but the rows they exclude are
// not marked yet, so GET_CHANGES still lists their entries. R then asks for such a file and is
// answered NOT_FOUND, which it skips quietly and acknowledges, keeping its copy: what it ends
// with once the rescan marks the row and the entry is no longer served. Not IGNORED_PATH or
// another code R retries: its pass would warn and fail for the length of the rescan.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, hashFile } from '@zync/common';
import type { ChangeInput } from '../core/entries.js';
import { reconcile } from '../reconcile.js';
import { RootSet } from '../roots.js';
import { DaemonStore } from '../store/daemon-store.js';
import { DaemonServer } from './server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fileInput(root: string, rel: string): Promise<ChangeInput> {
  const abs = path.join(root, rel);
  const s = statSync(abs);
  return { operation: 'add', kind: 'file', base_dir: 'docs', path: rel, checksum: (await hashFile(abs)).checksum, size: s.size, mtime: s.mtimeMs, mode: s.mode & 0o7777, ino: s.ino };
}

/** Sends one request and resolves with its JSON answer (binary frames are ignored). */
function ask(ws: WebSocket, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData, binary: boolean) => {
      if (binary) return;
      const answer = JSON.parse(String(data)) as Record<string, unknown>;
      if (answer.id !== request.id) return;
      ws.off('message', onMessage);
      resolve(answer);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(request));
  });
}

describe('between a .zyncignore edit and its rescan', () => {
  it('an entry the new rules exclude is still listed, and its file is answered NOT_FOUND until the rescan marks it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zync-rules-window-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const e = path.join(dir, 'e');
    mkdirSync(e);
    writeFileSync(path.join(e, 'a.log'), 'log\n');
    writeFileSync(path.join(e, 'keep.txt'), 'keep\n');
    const store = DaemonStore.open(path.join(dir, 'sync.db'));
    cleanups.push(() => store.close());
    store.recordChanges([await fileInput(e, 'a.log'), await fileInput(e, 'keep.txt')]);
    const roots = await RootSet.load([{ name: 'docs', root: e }]);
    const server = await DaemonServer.listen({
      host: '127.0.0.1',
      port: 0,
      token: 'tok',
      log: createLogger('test', 'silent'),
      heartbeatMs: 10_000,
      deps: { store, roots, upstream: undefined, startedAt: Date.now() },
    });
    cleanups.push(() => server.close());
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { headers: { Authorization: 'Bearer tok' } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    cleanups.push(() => ws.close());

    // The watcher records the rules file, then its rescan loads the new rules first and walks after.
    writeFileSync(path.join(e, '.zyncignore'), '*.log\n');
    store.recordChanges([await fileInput(e, '.zyncignore')]);
    await roots.reloadIgnores('docs');

    const listed = async () => ((await ask(ws, { operation: 'GET_CHANGES', id: 1, since_sequence: 0 })).changes as { path: string }[]).map((c) => c.path);
    expect(await listed()).toEqual(['a.log', 'keep.txt', '.zyncignore']);
    expect(await ask(ws, { operation: 'GET_FILE', id: 2, base_dir: 'docs', path: 'a.log' })).toMatchObject({ status: 'error', code: 'NOT_FOUND' });
    const batch = await ask(ws, { operation: 'GET_FILES', id: 3, base_dir: 'docs', paths: ['a.log', 'keep.txt'] });
    expect((batch.files as { path: string; status: string; code?: string }[]).map((f) => [f.path, f.code ?? f.status])).toEqual([
      ['a.log', 'NOT_FOUND'],
      ['keep.txt', 'ok'],
    ]);

    await reconcile({ store, root: roots.get('docs')!, log: createLogger('test', 'silent'), record: (inputs) => void store.applyChanges(inputs) });
    expect(await listed()).toEqual(['keep.txt', '.zyncignore']);
  });
});
