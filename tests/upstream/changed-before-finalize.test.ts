// What R changes after --update-upstream hashed its edits and before the session is finalized,
// at paths staged without bytes read: a new directory R removes (rm -rf) with its files, and a
// deleted file R makes again. The files are left out as files that changed while sent; the
// directory and the deletion are taken back out of the session too, so applying it on E and
// pulling on R does not undo what R did (before: the directory was made on E and came back to R;
// the file R made again was deleted on E). Held without timing: R's .zyncignore is a FIFO, so the
// scan waits (its reader shows) while the test holds the daemon's answers at a proxy; the session
// opening on E then shows the hashing is over and R has sent nothing yet.
import { execFileSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exists, spawnCli, waitFor, waitForFifoReader } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, runClientOnce, syncedPair, waitForDaemonToSee, type SyncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: R changes a directory or a deletion before the session is finalized', () => {
  let pair: SyncedPair;
  let proxy: TcpProxy;
  const onR = (p: string) => path.join(pair.r, p);
  const onE = (p: string) => path.join(pair.e, p);

  beforeEach(async () => {
    pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'keep.txt'), 'keep v1\n');
      await writeFile(path.join(e, 'old.txt'), 'old on E\n');
    });
    proxy = await startProxy({ targetPort: pair.daemon.port });
  });
  afterEach(async () => {
    await proxy?.close();
    await pair?.daemon.stop();
  });

  /**
   * Runs --update-upstream and calls `meanwhile` once R's edits are hashed and the session is open
   * on E, before R has sent any entry — or, with `afterBlobs`, once E has that many files' bytes
   * and before R has E's answers (held at the proxy, which a delay lets catch them); returns the
   * run's exit code, stdout and stderr.
   */
  async function upstreamChangingMeanwhile(meanwhile: () => Promise<void>, options: { afterBlobs?: number } = {}) {
    const ignoreFile = onR('.zyncignore');
    execFileSync('mkfifo', [ignoreFile]);
    const args = clientArgs(pair.setup, ['--update-upstream']);
    args[args.indexOf('--server') + 1] = proxy.url;
    const client = spawnCli('client', args);
    let writer: number | null = null;
    try {
      // Connected (the scan begins after HELLO), and scanning: its reader opened the FIFO.
      writer = await waitForFifoReader(ignoreFile, 'the scan to read .zyncignore');
      proxy.stall('toClient');
      closeSync(writer);
      writer = null;
      // PREPARE_UPSTREAM reached E (its staging directory is made): hashing is over, and the
      // answer R waits for before it sends any entry is held at the proxy.
      const staging = path.join(pair.daemon.stateDir, 'zync-staging');
      await waitFor(async () => (await readdir(staging).catch(() => [])).length > 0, { intervalMs: 2, what: 'the session to open on E' });
      if (options.afterBlobs !== undefined) {
        const session = path.join(staging, (await readdir(staging))[0]!);
        proxy.setDelay(1000);
        proxy.unstall();
        const blobs = async () => (await readdir(session).catch(() => [])).filter((name) => name.endsWith('.blob')).length;
        await waitFor(async () => (await blobs()) >= options.afterBlobs!, { intervalMs: 2, what: 'E to have the files' });
        proxy.stall('toClient');
        proxy.setDelay(0);
      }
      await meanwhile();
      proxy.unstall();
      const code = await client.exited;
      return { code, stdout: client.stdout(), stderr: client.stderr() };
    } finally {
      if (writer !== null) closeSync(writer);
      proxy.unstall();
      await client.exited;
      await rm(ignoreFile, { force: true });
    }
  }

  async function applyAndPull(stagingId: string): Promise<void> {
    const applied = await runApply(pair.daemon, ['apply', stagingId, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
  }

  it('a new directory R removes with its files: left out, and gone on both sides after apply and pull', async () => {
    await writeFile(onR('keep.txt'), 'keep v2, edited on R\n');
    await mkdir(onR('zz-newdir'));
    for (const n of [1, 2, 3]) await writeFile(onR(`zz-newdir/f${n}.txt`), `new ${n}\n`);

    const run = await upstreamChangingMeanwhile(() => rm(onR('zz-newdir'), { recursive: true }));
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toBe(
      'zync-client: left out: docs/zz-newdir, docs/zz-newdir/f1.txt, docs/zz-newdir/f2.txt, docs/zz-newdir/f3.txt changed while they were being sent; ' +
        'they go with the next --update-upstream.\n',
    );
    expect(run.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);

    await applyAndPull(stagingIdFrom(run.stdout));
    expect(await readFile(onE('keep.txt'), 'utf8')).toBe('keep v2, edited on R\n');
    expect(await exists(onE('zz-newdir'))).toBe(false);
    expect(await exists(onR('zz-newdir'))).toBe(false);

    const next = await runUpstream(pair.setup);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^Nothing to send upstream: no local changes since what R last received from E\.$/m);
  });

  it('a deleted file R makes again: the deletion is left out, E keeps the file, and the next run sends R’s new version', async () => {
    await writeFile(onR('keep.txt'), 'keep v2, edited on R\n');
    await rm(onR('old.txt'));

    const run = await upstreamChangingMeanwhile(() => writeFile(onR('old.txt'), 'made again on R\n'));
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toBe('zync-client: left out: docs/old.txt changed while it was being sent; it goes with the next --update-upstream.\n');
    expect(run.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);

    await applyAndPull(stagingIdFrom(run.stdout));
    expect(await readFile(onE('old.txt'), 'utf8')).toBe('old on E\n');
    expect(await readFile(onR('old.txt'), 'utf8')).toBe('made again on R\n');

    const next = await runUpstream(pair.setup);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);
    await applyAndPull(stagingIdFrom(next.stdout));
    expect(await readFile(onE('old.txt'), 'utf8')).toBe('made again on R\n');
  });

  it('a deletion E conflicts with, taken back out: not reported as a conflict', async () => {
    await writeFile(onR('keep.txt'), 'keep v2, edited on R\n');
    await rm(onR('old.txt'));
    await writeFile(onE('old.txt'), 'old edited on E\n');
    await waitForDaemonToSee(pair.daemon, 'docs', pair.e);

    const run = await upstreamChangingMeanwhile(() => writeFile(onR('old.txt'), 'made again on R\n'));
    expect(run.code, run.stderr).toBe(11);
    expect(run.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);
    expect(run.stdout + run.stderr).not.toMatch(/conflict:/);
  });

  it('a new directory R removes after its files went: taken out with them, gone on both sides after apply and pull', async () => {
    await writeFile(onR('keep.txt'), 'keep v2, edited on R\n');
    await mkdir(onR('zz-newdir'));
    for (const n of [1, 2, 3]) await writeFile(onR(`zz-newdir/f${n}.txt`), `new ${n}\n`);

    const run = await upstreamChangingMeanwhile(() => rm(onR('zz-newdir'), { recursive: true }), { afterBlobs: 4 });
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toMatch(/^zync-client: left out: docs\/zz-newdir, docs\/zz-newdir\/f1.txt, docs\/zz-newdir\/f2.txt, docs\/zz-newdir\/f3.txt /);
    expect(run.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);

    await applyAndPull(stagingIdFrom(run.stdout));
    expect(await readFile(onE('keep.txt'), 'utf8')).toBe('keep v2, edited on R\n');
    expect(await exists(onE('zz-newdir'))).toBe(false);
    expect(await exists(onR('zz-newdir'))).toBe(false);
  });
});
