// zync-client with its state on a file system without hard links (FAT, some FUSE and network
// file systems; made so by a preload, no-hard-links.mjs): it starts (before: "Cannot create the
// lock file ... EPERM", exit 2), a second client on the same state is refused while the first runs,
// and a lock left by kill -9 is taken over.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, expectSameTree, runCli, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const PRELOAD = pathToFileURL(path.join(import.meta.dirname, 'no-hard-links.mjs')).href;
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

describe('zync-client with its state where the file system has no hard links', () => {
  let e: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    writeFileSync(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('runs, refuses a second client on the same state, and takes over a lock left by kill -9', async () => {
    const fat = tempDir('zync-fat-');
    const env = { NODE_OPTIONS: `--import=${PRELOAD}`, ZYNC_NO_HARD_LINKS_UNDER: fat };
    const setup: ClientSetup = { daemon, dirs: { docs: tempDir('zync-r-') }, db: path.join(fat, 'sync_client.db') };
    const once = (dirs = setup.dirs) => runCli('client', clientArgs({ ...setup, dirs }, ['--once']), { env });

    const first = await once();
    expect(first.code, first.stderr).toBe(0);
    await expectSameTree(setup.dirs.docs!, e);

    const running = spawnCli('client', clientArgs(setup), { env });
    try {
      await waitFor(() => /up to date/.test(running.stderr()), { what: 'the continuous client to pull' });
      const second = await once({ docs: tempDir('zync-r-') });
      expect(second.code, second.stderr).toBe(8);
      expect(lastLine(second.stderr)).toBe(
        `zync-client: Another zync-client (pid ${running.pid}) is using the client state ${setup.db}; stop it first.`,
      );
    } finally {
      await running.kill9();
    }
    expect(await exists(`${setup.db}.lock`)).toBe(true);
    writeFileSync(path.join(e, 'b.txt'), 'after the kill\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const after = await once();
    expect(after.code, after.stderr).toBe(0);
    await expectSameTree(setup.dirs.docs!, e);
    expect(await exists(`${setup.db}.lock`)).toBe(false);
  });
});
