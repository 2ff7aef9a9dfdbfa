// E's disk NEARLY full under the daemon's state database: a big batch of changes cannot be
// logged while small writes still fit (a client's note, one edited file). E's log must not say it
// has room again while the refused changes still wait (before: "room again" after any small write,
// then "disk is full" again, flapping), and R hears, once, that E has changes it cannot log yet.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-nearly-full: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("E's disk nearly full under the daemon's state database", () => {
  let disk: Tmpfs | undefined;
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('says room again only once the refused changes are logged, not after a small write that fits', async () => {
    disk = mountTmpfs(8);
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    for (let i = 0; i < 20; i++) await writeFile(path.join(e, `f${i}.txt`), `f ${i}\n`);
    daemon = await startDaemon({ dirs: { docs: e }, db: path.join(disk.dir, 'sync.db'), args: ['--compact-interval', '0'] });
    const setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);

    // Leave 256 KiB: room for a small write, not for 3,000 new files' entries.
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes() - 256 * 1024);
    const before = daemon.stderr().length;
    const log = () => daemon!.stderr().slice(before);
    await mkdir(path.join(e, 'many'));
    for (let i = 0; i < 3000; i++) await writeFile(path.join(e, 'many', `m${i}.txt`), `m ${i}\n`);
    await waitFor(() => /E's disk is full/.test(log()), { what: 'the daemon to say its disk is full', timeoutMs: 30_000 });

    // Small writes that fit: clients' notes (HELLO, ACK); edited files, in batches that may fit.
    for (let k = 0; k < 3; k++) {
      await writeFile(path.join(e, 'f0.txt'), `edit ${k}\n`);
      const during = await runClientOnce(setup);
      expect(during.code, during.stderr).toBe(0);
      expect(during.stderr).toContain("E has changes it cannot log yet (E's disk is full); they follow when E has room.");
    }
    expect(log(), log()).not.toMatch(/has room again/);
    expect(log().match(/E's disk is full: the daemon cannot write its state database [^,]*\. /g), log()).toHaveLength(1);

    await rm(filler);
    await waitFor(() => /E's disk has room again/.test(log()), { what: 'the daemon to say it has room again', timeoutMs: 60_000 });
    await waitForDaemonToSee(daemon, 'docs', e, 60_000);
    const after = await runClientOnce(setup);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/cannot log yet/);
  });
});
