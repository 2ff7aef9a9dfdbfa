// kill -9 of zync-client in the middle of a 2,000-file initial sync (the 300 MiB single-file case
// is tests/client/crash.test.ts). The client is frozen (SIGSTOP) once a few hundred files have
// landed, so the kill lands mid-batch at a known point, then killed. Afterwards no target path
// holds a partial file (every file R shows is byte for byte E's), and the restarted client
// removes the stale temp files, converges, and downloads exactly the files that were not yet in
// place — nothing R already held whole is downloaded again, acknowledged or not.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLanded, expectSameTree, findTempFiles, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from '../client/support.js';

const FILES = 2000;

describe('zync-client killed in the middle of a 2,000-file initial sync', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeTree(e, FILES);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('leaves only whole files, and the restart downloads just what was missing', async () => {
    const client = spawnClient(setup, ['--once']);
    await waitFor(async () => (await countLanded(r)) >= 200, { timeoutMs: 60_000, intervalMs: 2, what: 'the first files to land' });
    client.proc.kill('SIGSTOP'); // freeze it mid-batch, then kill it there
    expect(await client.kill9()).toBe('SIGKILL');

    // Every file at a target path is one of E's, whole; the rest is temp files or nothing.
    const [landed, expected] = await Promise.all([treeDigest(r), treeDigest(e)]);
    const files = Object.entries(landed).filter(([, entry]) => entry.kind === 'file');
    expect(files.length).toBeGreaterThanOrEqual(200);
    expect(files.length, 'the kill came too late to test anything').toBeLessThan(FILES);
    for (const [p, entry] of files) expect(entry, `${p} is not E's content`).toEqual(expected[p]);
    const stale = (await findTempFiles(r)).length;

    const restart = await runClientOnce(setup);
    expect(restart.code, restart.stderr).toBe(0);
    if (stale > 0) expect(restart.stderr).toMatch(new RegExp(`removed ${stale} temp file\\(s\\) left in`));
    const summary = /(?:resync|pull): (\d+) file\(s\) downloaded \([\d.]+ MiB\), (\d+) copied locally.*up to date/.exec(restart.stderr);
    expect(summary, restart.stderr).not.toBeNull();
    expect(Number(summary![1]) + Number(summary![2])).toBe(FILES - files.length);
    await expectSameTree(r, e);
    expect(await findTempFiles(r)).toEqual([]);

    // Once acknowledged, a further run has nothing to fetch.
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/pull: 0 file\(s\) downloaded .*up to date/);
  });
});
