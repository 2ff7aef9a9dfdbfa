// What a running client says of files waiting for room on R's disk. A second file that does not
// fit is named at warn too (before: only the first warning was given, the second file never named
// above debug). E removing the waiting file is said as that (before: "R's disk has room again",
// on a disk as full as before).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-waiting-said: skipped: ${unavailable}`);
const readOrNull = (file: string) => readFile(file, 'utf8').catch(() => null);
const shown = (stderr: string) => stderr.split('\n').filter((line) => /\b(INFO|WARN|ERROR)\b/.test(line));

describe.skipIf(unavailable !== null)("a running client's lines about files waiting for room on R's disk", () => {
  let disk: Tmpfs | undefined;
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    disk?.unmount();
    daemon = undefined;
    disk = undefined;
  });

  async function start() {
    disk = mountTmpfs(24);
    const e = tempDir('zync-e-');
    await writeFile(path.join(e, 'notes.txt'), 'v1\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const r = path.join(disk.dir, 'r');
    await mkdir(path.join(disk.dir, 'state'));
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(disk.dir, 'state', 'sync_client.db') };
    const client = spawnClient(setup, ['--interval', '5']);
    await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v1\n', { what: 'the first sync' });
    await writeRandomFile(path.join(e, 'huge.bin'), 30 * MiB);
    await waitFor(() => /WARN.*No space left on R's disk: .*docs\/huge\.bin/.test(client.stderr()), { timeoutMs: 60_000, what: 'huge.bin said not to fit' });
    return { e, r, client };
  }

  it('names a second file that does not fit, once', async () => {
    const { e, r, client } = await start();
    try {
      await writeRandomFile(path.join(e, 'second.bin'), 26 * MiB);
      await writeFile(path.join(e, 'notes.txt'), 'v2\n');
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v2\n', { what: 'notes.txt v2 on R' });
      await waitFor(() => shown(client.stderr()).some((line) => /WARN.*No space left on R's disk: .*docs\/second\.bin/.test(line)), { timeoutMs: 30_000, what: 'second.bin named' });
      // Once: the passes that meet it again say it at debug only.
      await writeFile(path.join(e, 'notes.txt'), 'v3\n');
      await waitFor(async () => (await readOrNull(path.join(r, 'notes.txt'))) === 'v3\n', { what: 'notes.txt v3 on R' });
      expect(shown(client.stderr()).filter((line) => line.includes('second.bin'))).toHaveLength(1);
    } finally {
      await client.stop('SIGTERM');
    }
  }, 120_000);

  it('says E removed the waiting file, not that R has room again', async () => {
    const { e, client } = await start();
    try {
      await rm(path.join(e, 'huge.bin'));
      await waitFor(() => /INFO.*docs\/huge\.bin no longer waits for room on R's disk: E removed it\./.test(client.stderr()), { timeoutMs: 30_000, what: 'the removal said' });
      expect(client.stderr()).not.toMatch(/R's disk has room again/);
    } finally {
      await client.stop('SIGTERM');
    }
  }, 120_000);
});
