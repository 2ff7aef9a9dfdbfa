// R's root on a FUSE file system (bindfs here; exfat-fuse, ntfs-3g alike): for up to a second
// after zync placed a file there, a stat shows the ctime the kernel set at the link, then — its
// attribute cache lapsed — the backing file system's. A running client pulls E's next change at
// once, so it planned on the one and checked, after a long download, on the other. Before: E's
// rewrite of a file R had just received, nobody on R touching it, left a conflict copy ("edited
// on R"), about 3 times in 4. Needs root, /dev/fuse and bindfs (skipped with the reason otherwise).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { conflictCopies, spawnClient, type ClientSetup } from './support.js';

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });

function bindfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: no FUSE mount can be made';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: nothing can be mounted';
  try {
    run(['sh', '-c', 'command -v bindfs']);
  } catch {
    return 'bindfs is not installed';
  }
  return null;
}
const unavailable = bindfsUnavailable();

describe.skipIf(unavailable !== null)(`a FUSE root on R${unavailable ? ` (${unavailable})` : ''}`, () => {
  let mount: string | undefined;
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterAll(async () => {
    await client?.stop();
    await daemon?.stop();
    if (mount) run(['fusermount', '-u', '-z', mount]);
  });

  it('takes E\'s rewrite of a file R received a moment ago without a conflict copy', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    run(['bindfs', tempDir('zync-r-backing-'), r]);
    mount = r;
    daemon = await startDaemon({ dirs: { docs: e } });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    client = spawnClient(setup);
    // Long enough to download that the check comes after the second is out.
    const big = Buffer.alloc(64 * 1024 * 1024, 7);
    // Three times: whether the pass plans within that second depends on the machine's load.
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      await writeFile(path.join(e, name), `${name}\n`);
      await waitFor(() => existsSync(path.join(r, name)), { timeoutMs: 30_000, intervalMs: 1, what: `${name} on R` });
      await writeFile(path.join(e, name), big);
      await waitFor(async () => (await stat(path.join(r, name)).catch(() => null))?.size === big.length, {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: `E's rewrite of ${name} on R`,
      });
    }
    expect(await conflictCopies(r)).toEqual([]);
    expect(client.stderr()).not.toMatch(/conflict:/);
  });
});
