// While running: a root that vanishes (an unmounted disk, a moved folder) is reported and held,
// never logged as mass deletions, and rescanned when it returns; a .zyncignore edited at runtime
// takes effect at once (newly ignored paths are no longer synced, with no deletion in the log;
// newly unignored ones enter it and are watched); symlinks never enter the log; a file replaced
// by a directory (and back) replays right.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { comparable, fetchLog, replayLog, treeDifference } from './daemon-helpers.js';

let parent: string;
let root: string;
let daemon: DaemonHandle;
let client: RawClient;

beforeAll(async () => {
  parent = tempDir();
  root = path.join(parent, 'root');
  mkdirSync(path.join(root, 'logs'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(path.join(root, `file-${i}.txt`), `${i}\n`);
  writeFileSync(path.join(root, 'debug.log'), 'noise\n');
  writeFileSync(path.join(root, 'logs', 'today.txt'), 'entries\n');
  daemon = await startDaemon({ dirs: { w: root } });
  client = await connect(daemon.url, daemon.token);
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop();
});

const logged = async (p: string, operation?: string) =>
  (await fetchLog(client)).some((e) => e.path === p && (operation === undefined || e.operation === operation));

async function expectLogToMatchTree(): Promise<void> {
  let difference = '';
  await waitFor(
    async () => {
      difference = treeDifference(replayLog(await fetchLog(client), 'w'), comparable(await treeDigest(root)));
      return difference === '';
    },
    { what: 'the replayed log to equal the tree' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${difference}`);
  });
}

describe('roots and ignore rules at runtime', () => {
  it('a root moved away is held, not logged as deleted, and rescanned when it returns', async () => {
    const before = (await client.request('GET_LAST_SEQUENCE')).last_sequence as number;
    renameSync(root, path.join(parent, 'away'));
    await waitFor(() => /Root "w" .* is missing or not a directory/.test(daemon.stderr()), { what: 'the root to be reported missing' });
    writeFileSync(path.join(parent, 'away', 'added-while-away.txt'), 'new\n');
    renameSync(path.join(parent, 'away'), root);
    await waitFor(() => daemon.stderr().includes('root "w" is back'), { what: 'the root to be back' });
    await waitFor(() => logged('added-while-away.txt'), { what: 'the new file logged' });
    const since = await fetchLog(client, before);
    expect(since.filter((e) => e.operation === 'delete')).toEqual([]);
    await expectLogToMatchTree();
  });

  it('a root that returns brings its own .zyncignore: what it keeps out never enters the log', async () => {
    renameSync(root, path.join(parent, 'away'));
    await waitFor(() => (daemon.stderr().match(/Root "w" .* is missing or not a directory/g)?.length ?? 0) >= 2, { what: 'the root to be reported missing again' });
    // A remounted disk, say, whose rules the daemon has not seen yet.
    writeFileSync(path.join(parent, 'away', '.zyncignore'), 'private/\n');
    mkdirSync(path.join(parent, 'away', 'private'));
    writeFileSync(path.join(parent, 'away', 'private', 'secret.txt'), 'not for R\n');
    writeFileSync(path.join(parent, 'away', 'open.txt'), 'for R\n');
    renameSync(path.join(parent, 'away'), root);
    await waitFor(() => logged('open.txt'), { what: 'the returned root rescanned' });
    expect((await fetchLog(client)).filter((e) => e.path.startsWith('private'))).toEqual([]);

    rmSync(path.join(root, 'private'), { recursive: true });
    rmSync(path.join(root, '.zyncignore'));
    await expectLogToMatchTree();
  });

  it('a .zyncignore written at runtime stops syncing newly ignored paths (no deletion logged), and back', async () => {
    expect(await logged('debug.log', 'add')).toBe(true);
    const before = (await client.request('GET_LAST_SEQUENCE')).last_sequence as number;
    writeFileSync(path.join(root, '.zyncignore'), '*.log\nlogs/\n');
    // debug.log, logs and logs/today.txt
    await waitFor(() => daemon.stderr().includes('3 recorded path(s) no longer synced'), { what: 'debug.log and logs/ to be no longer synced' });
    expect((await fetchLog(client, before)).map((e) => `${e.operation} ${e.path}`)).toEqual(['add .zyncignore']);
    writeFileSync(path.join(root, 'logs', 'ignored-now.txt'), 'x');
    writeFileSync(path.join(root, 'sentinel-a.txt'), 'x');
    await waitFor(() => logged('sentinel-a.txt'), { what: 'the sentinel' });
    expect(await logged('logs/ignored-now.txt')).toBe(false);

    rmSync(path.join(root, '.zyncignore'));
    await waitFor(() => logged('logs/ignored-now.txt'), { what: 'the unignored file to enter the log' });
    // The unignored directory is watched again, not just rescanned once.
    writeFileSync(path.join(root, 'logs', 'after.txt'), 'watched\n');
    await waitFor(() => logged('logs/after.txt'), { what: 'a change in the unignored directory' });
    await expectLogToMatchTree();
  });

  it('symlinks never enter the log', async () => {
    const outside = tempDir();
    writeFileSync(path.join(outside, 'o.txt'), 'outside');
    symlinkSync(outside, path.join(root, 'dir-link'));
    symlinkSync(path.join(outside, 'o.txt'), path.join(root, 'file-link'));
    writeFileSync(path.join(root, 'sentinel-b.txt'), 'x');
    await waitFor(() => logged('sentinel-b.txt'), { what: 'the sentinel' });
    const log = await fetchLog(client);
    expect(log.filter((e) => e.path.startsWith('dir-link') || e.path === 'file-link')).toEqual([]);
  });

  it('a file replaced by a directory, and a directory by a file, replay right', async () => {
    writeFileSync(path.join(root, 'shape'), 'a file first');
    mkdirSync(path.join(root, 'other/inner'), { recursive: true });
    writeFileSync(path.join(root, 'other/inner/x.txt'), 'x');
    await waitFor(() => logged('other/inner/x.txt'), { what: 'the first shapes' });
    rmSync(path.join(root, 'shape'));
    mkdirSync(path.join(root, 'shape/sub'), { recursive: true });
    writeFileSync(path.join(root, 'shape/sub/y.txt'), 'y');
    rmSync(path.join(root, 'other'), { recursive: true });
    writeFileSync(path.join(root, 'other'), 'now a file');
    await expectLogToMatchTree();
  });
});
