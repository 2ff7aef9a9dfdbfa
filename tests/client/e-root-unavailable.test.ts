// One of E's roots is missing while the daemon runs (moved away, a disk not mounted): E holds it
// and logs nothing of it until it is back, so a pass cannot bring R up to date for it. zync-client
// --once still ends up to date (exit 0: nothing failed on R), but warns once that E's root is
// unavailable there, so the user knows R may be behind for it; a run that does not pull that root
// says nothing of it, and once it is back the warning goes. (Before: "up to date", and no word.)
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from './support.js';

const WARNING = `E's root "docs" is unavailable on E (missing, or emptied: a disk not mounted?); R may be behind for it until it is back there.`;

describe("zync-client --once: one of E's roots is unavailable", () => {
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  const e = { docs: '', code: '' };
  const r = { docs: '', code: '' };

  beforeAll(async () => {
    const eParent = tempDir('zync-e-');
    const rParent = tempDir('zync-r-');
    for (const name of ['docs', 'code'] as const) {
      e[name] = path.join(eParent, name);
      r[name] = path.join(rParent, name);
      await mkdir(e[name]);
      await writeFile(path.join(e[name], `${name}1.txt`), `${name} v1\n`);
    }
    daemon = await startDaemon({ dirs: e });
    setup = { daemon, dirs: r, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toContain('is unavailable on E');
    await rename(e.docs, `${e.docs}.moved`);
    await waitFor(() => /Root "docs" .* is missing or not a directory/.test(daemon.stderr()), { what: 'the daemon to report the root missing' });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('warns once that E holds the root, still pulls the other roots, and exits 0', async () => {
    await writeFile(path.join(e.code, 'code2.txt'), 'new on E\n');
    await waitForDaemonToSee(daemon, 'code', e.code);
    const pass = await runClientOnce(setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr.split(WARNING).length - 1).toBe(1);
    expect(pass.stderr).toMatch(/up to date/);
    expect(await readFile(path.join(r.code, 'code2.txt'), 'utf8')).toBe('new on E\n');
    expect(await readFile(path.join(r.docs, 'docs1.txt'), 'utf8')).toBe('docs v1\n');
  });

  it('says nothing of it to a run that does not pull that root', async () => {
    const pass = await runClientOnce({ ...setup, dirs: { code: r.code } });
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });

  it('says nothing once the root is back', async () => {
    await rename(`${e.docs}.moved`, e.docs);
    await waitFor(() => daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    const pass = await runClientOnce(setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });
});
