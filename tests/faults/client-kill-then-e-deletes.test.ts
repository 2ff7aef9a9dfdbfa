// kill -9 of zync-client after some files of a batch were renamed into place but before the
// batch was recorded; E then deletes those files (or moves them away) before the client runs
// again. The restarted client pulls the same range again, now collapsed to deletions of paths it
// never recorded: R must still end as E is, without the files E no longer has.
import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLanded, expectSameTree, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle } from '../helpers/index.js';
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
