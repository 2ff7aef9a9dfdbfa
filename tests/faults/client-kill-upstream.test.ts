// kill -9 of zync-client in the middle of an upstream session: R sends a large new file plus an
// edit and a deletion; once the daemon holds part of the large file on disk the client is frozen
// (SIGSTOP) and killed. The session on E becomes aborted (never appliable) and its staged bytes
// are removed; E's tree and R's tree are as they were. Run again, --update-upstream stages every
// change, zync-apply applies it, and R, pulling, stays equal to E.
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, spawnCli, startDaemon, tempDir, treeDigest, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';

const MiB = 1024 * 1024;
const BIG = 160 * MiB;

/** Bytes the daemon has written for a session so far (its blobs and their temp files). */
async function stagedBytes(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map((n) => stat(path.join(dir, n)).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

describe('zync-client killed in the middle of an upstream session', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'small.txt'), 'from E\n');
    await writeFile(path.join(e, 'old.txt'), 'to be deleted on R\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('aborts the session on E, keeps both trees as they were, and a rerun stages and applies', async () => {
    await writeRandomFile(path.join(r, 'media/big.bin'), BIG);
    await writeFile(path.join(r, 'small.txt'), 'edited on R\n');
    await rm(path.join(r, 'old.txt'));
    const [eBefore, rBefore] = await Promise.all([treeDigest(e), treeDigest(r)]);

    const client = spawnCli('client', clientArgs(setup, ['--update-upstream']));
    const [session] = await waitFor(
      async () => {
        const sessions = await listSessions(daemon);
        return sessions.length === 1 && sessions[0]!.status === 'in_progress' ? sessions : null;
      },
      { timeoutMs: 60_000, what: 'the upstream session to open' },
    );
    const stagingDir = path.join(daemon.stateDir, 'zync-staging', session!.staging_id);
    await waitFor(async () => (await stagedBytes(stagingDir)) > 8 * MiB, { timeoutMs: 60_000, intervalMs: 2, what: 'part of the big file on E' });
    client.proc.kill('SIGSTOP');
    expect(await stagedBytes(stagingDir), 'the kill came too late to test anything').toBeLessThan(BIG);
    expect(await client.kill9()).toBe('SIGKILL');

    await waitFor(async () => (await listSessions(daemon))[0]?.status === 'aborted', { what: 'the session to be aborted' });
    expect((await listSessions(daemon))[0]!.reason).toMatch(/^R's upload was cut off before it finished/);
    await waitFor(() => readdir(stagingDir).then(() => false, () => true), { what: 'the staged bytes to be removed' });
    expect(await listSessions(daemon, false)).toEqual([]);
    const refused = await runApply(daemon, ['apply', session!.staging_id, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/was aborted .*cannot be applied/);
    expect(await treeDigest(e)).toEqual(eBefore);
    expect(await treeDigest(r)).toEqual(rBefore);

    // Nothing of the killed attempt counts as staged on R: everything goes again, and applies.
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Staged 4 changes upstream as session \S+ \(1 added, 1 modified, 1 deleted, 1 directory created; 0 conflicts\)\./);
    const id = stagingIdFrom(again.stdout);
    const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await sameTree(e, r)).toBe(true);
    expect(await readdir(path.join(daemon.stateDir, 'zync-staging'))).toEqual([]);

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
  });
});
