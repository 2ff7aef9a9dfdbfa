// Files of 16 MiB or more go through the O_DIRECT writer (staged in page-aligned memory, the
// last block padded and cut off again). With sizes that are
// not multiples of the block size, more of them at once than the writer has staging areas for,
// edits in place, and the same path upstream (R -> E, staged and applied), every byte must land
// as E (or R) has it, with its mode and mtime, and no temp file may be left.
import { chmod, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, findTempFiles, startDaemon, tempDir, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';

const MiB = 1024 * 1024;

describe('large files (the O_DIRECT path)', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    // Six at once: more than the four staging areas, so some are written buffered meanwhile.
    for (let i = 0; i < 6; i++) await writeRandomFile(path.join(e, `big/${i}.bin`), 16 * MiB + 1 + i * 4099);
    await writeRandomFile(path.join(e, 'tool.run'), 20 * MiB - 17);
    await chmod(path.join(e, 'tool.run'), 0o755);
    await utimes(path.join(e, 'tool.run'), new Date('2021-03-04T05:06:07Z'), new Date('2021-03-04T05:06:07Z'));
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('arrive byte for byte, with their mode and mtime, and leave no temp file', async () => {
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    const [onE, onR] = await Promise.all([stat(path.join(e, 'tool.run')), stat(path.join(r, 'tool.run'))]);
    expect(onR.mode & 0o777).toBe(0o755);
    expect(onR.mtimeMs).toBe(onE.mtimeMs);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('an edit in place on E (same size, other bytes) replaces R’s copy', async () => {
    const file = path.join(e, 'big/3.bin');
    const before = await readFile(file);
    await writeRandomFile(file, before.length);
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/1 file\(s\) downloaded/);
    await expectSameTree(r, e);
  });

  it('a large file R made goes upstream and is applied on E byte for byte', async () => {
    await writeRandomFile(path.join(r, 'from-r.bin'), 24 * MiB + 333);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect((await readFile(path.join(e, 'from-r.bin'))).equals(await readFile(path.join(r, 'from-r.bin')))).toBe(true);
    expect(await findTempFiles(e)).toEqual([]);
  });
});
