// zync-client --once against the real daemon: the initial sync of 2,000 files in nested
// directories converges byte for byte; edits, deletions, renames (copied locally, not
// downloaded), directory deletions, empty directories and exec-bit changes on E propagate.
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from './support.js';

describe('zync-client --once', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = path.join(tempDir('zync-r-'), 'replica'); // missing: the client creates it
    await writeTree(e, 2000);
    await mkdir(path.join(e, 'empty/nested'), { recursive: true });
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('makes the initial sync of 2,000 files in nested directories, byte for byte', async () => {
    const started = Date.now();
    const result = await runClientOnce(setup);
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(result.stderr).toMatch(/2000 file\(s\) downloaded/);
    expect(result.stderr).toMatch(/up to date/);
    console.log(`initial sync of 2,000 files: ${seconds.toFixed(2)} s (process start to exit)`);
  });

  it('transfers nothing when nothing changed', async () => {
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/0 file\(s\) downloaded/);
  });

  it('propagates edits, deletions, renames, directory deletions and exec-bit changes', async () => {
    await writeFile(path.join(e, 'd00/s0/f0000.bin'), 'edited on E\n');
    await rm(path.join(e, 'd00/s0/f0001.bin'));
    await rename(path.join(e, 'd00/s0/f0002.bin'), path.join(e, 'd00/s1/renamed.bin'));
    await rm(path.join(e, 'd01'), { recursive: true });
    await chmod(path.join(e, 'd02/s0/f0200.bin'), 0o755);
    await mkdir(path.join(e, 'brand/new/dir'), { recursive: true });
    await writeFile(path.join(e, 'brand/new/dir/hello.txt'), 'hello\n');
    await rm(path.join(e, 'empty/nested'), { recursive: true });
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    // The renamed file's content was on R already: copied locally, not downloaded again.
    expect(result.stderr).toMatch(/1 copied locally/);
    expect(result.stderr).toMatch(/2 file\(s\) downloaded/);
  });
});
