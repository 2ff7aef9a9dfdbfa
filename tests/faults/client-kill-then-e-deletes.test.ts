// kill -9 of zync-client after some files of a batch were renamed into place but before the
// batch was recorded; E then deletes those files (or moves them away) before the client runs
// again. The restarted client pulls the same range again, now collapsed to deletions of paths it
// never recorded: R must still end as E is, without the files E no longer has. The same for a
// directory the killed batch made, which E then replaced with a file and removed.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLanded, expectSameTree, exists, startDaemon, tempDir, treeDigest, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, spawnClient, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from '../client/support.js';

const FILES = 2000;

describe('zync-client killed mid-batch, then E moves the files it had placed', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeTree(path.join(e, 'tree'), FILES);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('R ends as E is: the files placed before the kill do not stay at their old paths', async () => {
    const client = spawnClient(setup, ['--once']);
    await waitFor(async () => (await countLanded(r)) >= 200, { timeoutMs: 60_000, intervalMs: 2, what: 'the first files to land' });
    client.proc.kill('SIGSTOP');
    expect(await client.kill9()).toBe('SIGKILL');
    const landed = Object.values(await treeDigest(r)).filter((entry) => entry.kind === 'file').length;
    expect(landed, 'the kill came too late to test anything').toBeLessThan(FILES);

    await rename(path.join(e, 'tree'), path.join(e, 'moved'));
    await waitForDaemonToSee(daemon, 'docs', e);

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    expect(await conflictCopies(r)).toEqual([]);
    await expectSameTree(r, e);
  });
});

describe('zync-client killed mid-batch in a directory it made, then E replaces it with a file and removes that', () => {
  it('R ends as E is: the directory does not stay on R, and nothing goes upstream for it', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    // A large file keeps the batch that made `gone/` busy (unrecorded) while the client is killed.
    await mkdir(path.join(e, 'gone'));
    await writeRandomFile(path.join(e, 'gone', 'big.bin'), 256 * 1024 * 1024);
    const daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    try {
      const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      await waitForDaemonToSee(daemon, 'docs', e, 60_000);
      const client = spawnClient(setup, ['--once']);
      await waitFor(async () => (await stat(path.join(r, 'gone')).catch(() => null))?.isDirectory() === true, {
        timeoutMs: 60_000,
        intervalMs: 2,
        what: 'the client to make gone/',
      });
      client.proc.kill('SIGSTOP');
      expect(await client.kill9()).toBe('SIGKILL');
      expect(await exists(path.join(r, 'gone', 'big.bin')), 'the kill came too late to test anything').toBe(false);

      await rm(path.join(e, 'gone'), { recursive: true });
      await writeFile(path.join(e, 'gone'), 'now a file\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      await rm(path.join(e, 'gone'));
      await waitForDaemonToSee(daemon, 'docs', e);

      const restart = await runClientOnce(setup);
      expect(restart.code, restart.stderr).toBe(0);
      await expectSameTree(r, e);
      const upstream = await runClientOnce(setup, ['--update-upstream']);
      expect(upstream.code, upstream.stderr).toBe(0);
      expect(upstream.stdout + upstream.stderr).toContain('Nothing to send upstream');
    } finally {
      await daemon.stop();
    }
  });
});

describe('zync-client killed in a resync of E\'s current state, in a directory it made, then E replaces it with a file and removes that', () => {
  it('R ends as E is: the killed batch\'s note of the directory stands for E making it, which the resync\'s pages no longer show', async () => {
    const e = tempDir('zync-e-');
    const eExtra = tempDir('zync-e-extra-');
    const r = tempDir('zync-r-');
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    await writeFile(path.join(eExtra, 'x.txt'), 'x\n');
    const daemon = await startDaemon({ dirs: { docs: e, extra: eExtra }, db: stateDb() });
    try {
      const docsOnly: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      await waitForDaemonToSee(daemon, 'docs', e);
      expect((await runClientOnce(docsOnly)).code).toBe(0);
      await mkdir(path.join(e, 'gone'));
      await writeRandomFile(path.join(e, 'gone', 'big.bin'), 256 * 1024 * 1024);
      await waitForDaemonToSee(daemon, 'docs', e, 60_000);
      // A second name: a full resync of both, asking E for its current entries only.
      const both: ClientSetup = { ...docsOnly, dirs: { docs: r, extra: tempDir('zync-r-extra-') } };
      const client = spawnClient(both, ['--once']);
      await waitFor(async () => (await stat(path.join(r, 'gone')).catch(() => null))?.isDirectory() === true, {
        timeoutMs: 60_000,
        intervalMs: 2,
        what: 'the client to make gone/',
      });
      client.proc.kill('SIGSTOP');
      expect(await client.kill9()).toBe('SIGKILL');
      expect(await exists(path.join(r, 'gone', 'big.bin')), 'the kill came too late to test anything').toBe(false);

      await rm(path.join(e, 'gone'), { recursive: true });
      await writeFile(path.join(e, 'gone'), 'now a file\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      await rm(path.join(e, 'gone'));
      await waitForDaemonToSee(daemon, 'docs', e);

      const restart = await runClientOnce(both);
      expect(restart.code, restart.stderr).toBe(0);
      await expectSameTree(r, e);
    } finally {
      await daemon.stop();
    }
  });
});
