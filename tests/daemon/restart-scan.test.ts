// The start-up scan: changes made while the daemon was stopped (modifications, deletions of
// files and whole trees, renames, new directories) are in the log as soon as it listens again;
// an unchanged tree of 10,000 files restarts without re-hashing anything; a root that looks
// unmounted (suddenly empty) is reported instead of being logged as thousands of deletions.
import { mkdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, spawnCli, startDaemon, tempDir, treeDigest, waitFor } from '../helpers/index.js';
import { comparable, fetchLog, replayLog, scanReports, treeDifference } from './daemon-helpers.js';

async function logOf(daemon: { url: string; token: string }): Promise<ReturnType<typeof fetchLog>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return await fetchLog(client);
  } finally {
    await client.close();
  }
}

describe('zync-daemon start-up scan', () => {
  it('a stop during the start-up scan of a big tree ends it early; the next start logs the rest', async () => {
    const root = tempDir();
    const db = path.join(tempDir(), 'sync.db');
    const DIRS = 50; // 10,050 entries: five batches of the scan, the stop comes after the first
    const PER_DIR = 200;
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(path.join(root, `d${d}`));
      for (let f = 0; f < PER_DIR; f++) writeFileSync(path.join(root, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
    }
    const entries = DIRS * PER_DIR + DIRS;
    const first = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', db, '--token', 'test-token-0123456789', '--dirs', `w:${root}`]);
    await waitFor(() => /logged \d+ change\(s\)/.test(first.stderr()), { what: 'the first batch of the start-up scan' });
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.stderr()).toContain('stopped before the end, the rest is scanned at the next start');
    expect(scanReports(first.stderr())[0]!.lastSequence).toBeLessThan(entries);

    const second = await startDaemon({ dirs: { w: root }, db });
    try {
      expect(scanReports(second.stderr())[0]!.lastSequence).toBe(entries);
      expect(replayLog(await logOf(second), 'w')).toEqual(comparable(await treeDigest(root)));
    } finally {
      await second.stop();
    }
  });

  it('logs what changed while it was stopped, before it listens', async () => {
    const root = tempDir();
    const state = tempDir();
    const db = path.join(state, 'sync.db');
    const abs = (rel: string) => path.join(root, rel);
    mkdirSync(abs('keep/deep'), { recursive: true });
    mkdirSync(abs('doomed/inner'), { recursive: true });
    writeFileSync(abs('keep/a.txt'), 'a');
    writeFileSync(abs('keep/deep/b.txt'), 'b');
    writeFileSync(abs('doomed/inner/c.txt'), 'c');
    writeFileSync(abs('edit.txt'), 'before');
    writeFileSync(abs('remove.txt'), 'x');
    writeFileSync(abs('rename-from.txt'), 'moving');
    writeFileSync(abs('script.sh'), '#!/bin/sh\n');

    const first = await startDaemon({ dirs: { w: root }, db });
    const before = await logOf(first);
    expect(await first.stop('SIGTERM')).toBe(0);

    writeFileSync(abs('edit.txt'), 'after, and longer');
    rmSync(abs('remove.txt'));
    rmSync(abs('doomed'), { recursive: true });
    renameSync(abs('rename-from.txt'), abs('keep/rename-to.txt'));
    mkdirSync(abs('fresh/empty'), { recursive: true });
    writeFileSync(abs('fresh/new.txt'), 'new');
    chmodSync(abs('script.sh'), 0o755);

    const second = await startDaemon({ dirs: { w: root }, db });
    // No waiting: the scan ran before the daemon started listening.
    const after = await logOf(second);
    expect(after.slice(0, before.length)).toEqual(before);
    const replayed = replayLog(after, 'w');
    expect(treeDifference(replayed, comparable(await treeDigest(root)))).toBe('');
    const news = after.slice(before.length).map((e) => `${e.operation} ${e.kind} ${e.path}`);
    expect(news).toEqual(
      expect.arrayContaining([
        'modify file edit.txt',
        'delete file remove.txt',
        'delete file doomed/inner/c.txt',
        'delete dir doomed/inner',
        'delete dir doomed',
        'delete file rename-from.txt',
        'add file keep/rename-to.txt',
        'add dir fresh',
        'add dir fresh/empty',
        'add file fresh/new.txt',
        'modify file script.sh',
      ]),
    );
    expect(news).toHaveLength(11);
    expect(after.find((e) => e.path === 'script.sh' && e.operation === 'modify')?.mode).toBe(0o755);
    await second.stop();
  });

  it('restarts an unchanged tree of 10,000 files without re-hashing', async () => {
    const root = tempDir();
    const state = tempDir();
    const db = path.join(state, 'sync.db');
    for (let d = 0; d < 100; d++) {
      mkdirSync(path.join(root, `dir${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(path.join(root, `dir${d}`, `file${f}.txt`), `content of ${d}/${f}\n`.repeat(1 + (f % 7)));
    }

    let started = Date.now();
    const cold = await startDaemon({ dirs: { w: root }, db });
    const coldStartMs = Date.now() - started;
    const [coldScan] = scanReports(cold.stderr());
    expect(coldScan).toMatchObject({ files: 10_000, hashed: 10_000, logged: 10_100, lastSequence: 10_100 });
    await cold.stop();

    started = Date.now();
    const warm = await startDaemon({ dirs: { w: root }, db });
    const warmStartMs = Date.now() - started;
    const [warmScan] = scanReports(warm.stderr());
    expect(warmScan).toMatchObject({ files: 10_000, hashed: 0, logged: 0, lastSequence: 10_100 });
    expect((await connect(warm.url, warm.token).then(async (c) => {
      const r = await c.request('GET_LAST_SEQUENCE');
      await c.close();
      return r;
    })).last_sequence).toBe(10_100);
    await warm.stop();

    // The figures the issue asks for; visible with `vitest --reporter verbose` or in CI logs.
    console.log(
      `10,000 files: cold scan ${coldScan!.ms} ms (daemon start to listening ${coldStartMs} ms); ` +
        `unchanged restart scan ${warmScan!.ms} ms (start to listening ${warmStartMs} ms)`,
    );
  });

  it('reports a root that was emptied while stopped instead of logging mass deletions', async () => {
    const root = tempDir();
    const state = tempDir();
    const db = path.join(state, 'sync.db');
    for (let i = 0; i < 50; i++) writeFileSync(path.join(root, `f${i}.txt`), `${i}`);
    const first = await startDaemon({ dirs: { w: root }, db });
    await first.stop();

    for (let i = 0; i < 50; i++) rmSync(path.join(root, `f${i}.txt`));
    const second = await startDaemon({ dirs: { w: root }, db });
    expect(second.stderr()).toMatch(/Root "w" .* is empty but 50 entries are recorded for it/);
    const log = await logOf(second);
    expect(log.filter((e) => e.operation === 'delete')).toEqual([]);
    expect(log).toHaveLength(50);
    // Held, as when the watcher finds it emptied: served as unavailable until it is back.
    const client = await connect(second.url, second.token);
    try {
      const page = await client.request('GET_CHANGES', { since_sequence: 0, limit: 10 });
      expect(page.unavailable_dirs).toEqual(['w']);
      for (let i = 0; i < 50; i++) writeFileSync(path.join(root, `f${i}.txt`), `${i}`);
      await waitFor(() => /root "w" is back; rescanning it/.test(second.stderr()), { what: 'the daemon to take the root back' });
      await waitFor(async () => (await client.request('GET_CHANGES', { since_sequence: 0, limit: 10 })).unavailable_dirs === undefined, {
        what: 'the root to be served again',
      });
    } finally {
      await client.close();
    }
    await second.stop();
  });
});
