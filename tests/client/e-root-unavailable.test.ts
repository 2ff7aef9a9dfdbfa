// One of E's roots is missing while the daemon runs (moved away, a disk not mounted): E holds it
// and logs nothing of it until it is back, so a pass cannot bring R up to date for it. zync-client
// --once still ends up to date (exit 0: nothing failed on R), but warns once that E's root is
// unavailable there, so the user knows R may be behind for it; a run that does not pull that root
// says nothing of it, and once it is back the warning goes. (Before: "up to date", and no word.)
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/index.js';
import { pairWithEDocsMoved, runClientOnce, waitForDaemonToSee, type TwoRootPair } from './support.js';

const WARNING = `E's root "docs" is unavailable on E (missing, or emptied: a disk not mounted?); R may be behind for it until it is back there.`;

describe("zync-client --once: one of E's roots is unavailable", () => {
  let pair: TwoRootPair;
  beforeAll(async () => {
    pair = await pairWithEDocsMoved();
  });
  afterAll(async () => {
    await pair?.daemon.stop();
  });

  it('warns once that E holds the root, still pulls the other roots, and exits 0', async () => {
    await writeFile(path.join(pair.e.code, 'code2.txt'), 'new on E\n');
    await waitForDaemonToSee(pair.daemon, 'code', pair.e.code);
    const pass = await runClientOnce(pair.setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr.split(WARNING).length - 1).toBe(1);
    expect(pass.stderr).toMatch(/up to date/);
    expect(await readFile(path.join(pair.r.code, 'code2.txt'), 'utf8')).toBe('new on E\n');
    expect(await readFile(path.join(pair.r.docs, 'docs1.txt'), 'utf8')).toBe('docs v1\n');
  });

  it('says nothing of it to a run that does not pull that root', async () => {
    const pass = await runClientOnce({ ...pair.setup, dirs: { code: pair.r.code } });
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });

  it('says nothing once the root is back', async () => {
    await rename(`${pair.e.docs}.moved`, pair.e.docs);
    await waitFor(() => pair.daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    const pass = await runClientOnce(pair.setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });
});
