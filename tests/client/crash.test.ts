// kill -9 of the client in the middle of a 300 MiB download: no partial file is ever visible at
// the target path; the restarted client resumes after the bytes the temp file holds, removes
// temp files nothing waits for, and converges. SIGTERM in the middle of a download stops the
// client cleanly, without leaving a temp file.
import { readdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exists,
  expectSameTree,
  findTempFiles,
  startDaemon,
  tempDir,
  waitFor,
  writeRandomFile,
  type DaemonHandle,
} from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, type ClientSetup } from './support.js';

const BIG = 300 * 1024 * 1024;

describe('zync-client killed mid-download', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeRandomFile(path.join(e, 'big/huge.bin'), BIG);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** Waits until the temp file beside target holds part of the content; returns its name. */
  const partlyWritten = (target: string) =>
    waitFor(
      async () => {
        const names = await readdir(path.dirname(target)).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.startsWith('.zync-tmp-'))) {
          const info = await stat(path.join(path.dirname(target), name)).catch(() => null);
          if (info && info.size > 16 * 1024 * 1024 && info.size < BIG) return name;
        }
        return null;
      },
      { timeoutMs: 60_000, intervalMs: 5, what: 'a partly written temp file' },
    );

  it('stops cleanly on SIGTERM in the middle of a download', async () => {
    const other = tempDir('zync-r-');
    const client = spawnClient({ ...setup, dirs: { docs: other }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') });
    await partlyWritten(path.join(other, 'big/huge.bin'));
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    expect(await findTempFiles(other)).toEqual([]);
    expect(await exists(path.join(other, 'big/huge.bin'))).toBe(false);
  });

  it('leaves no partial file at the target after kill -9; the restart resumes the download and converges', async () => {
    const target = path.join(r, 'big/huge.bin');
    const client = spawnClient(setup, ['--once']);
    const tempFile = await partlyWritten(target);
    await client.kill9();
    expect(tempFile).toMatch(/^\.zync-tmp-huge\.bin-/);
    expect(await exists(target)).toBe(false);
    // A temp file no download is waiting for: the restart removes it.
    await writeFile(path.join(r, 'big', '.zync-tmp-stray.txt-000000000000'), 'left by a crash');

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/removed 1 temp file/);
    const resumedAt = Number(/resuming docs\/big\/huge\.bin after (\d+) of (\d+) bytes/.exec(result.stderr)?.[1]);
    expect(resumedAt).toBeGreaterThan(16 * 1024 * 1024);
    expect(resumedAt).toBeLessThan(BIG);
    await expectSameTree(r, e);
    expect(await findTempFiles(r)).toEqual([]);
  });
});
