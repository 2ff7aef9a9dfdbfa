// A resync stopped in the middle of a page keeps R's revert and R's put-back file. R received
// E's v2 of f.txt and E's deletion of d2.txt, then reverted f.txt to v1 and put d2.txt back (R's
// edits). A second name in --dirs starts a full resync, which replays E's log from 0: its page
// shows E holding v1 at f.txt and d2's content, before the entries R had applied. The batch notes
// them before it touches the disk, but would only ever write the path's last state (v2; nothing
// for d2). Before: killed -9 mid-page, those notes counted as contents the stopped batch had
// placed, so the next run took R's v1 for E's and overwrote it with v2, and deleted R's d2.txt
// as E's, no conflict copy, nothing said. Stopped otherwise (SIGTERM, a cut connection, or not
// at all), the notes were already judged by their sequence.
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, spawnCli, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

/** Big enough that the resync is still downloading it when it is stopped. */
const BIG = 100 * 1024 * 1024;

describe("a resync stopped mid-page keeps R's revert and R's put-back file", () => {
  let daemon: DaemonHandle | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await daemon?.stop();
    daemon = undefined;
  });

  it.each(['killed -9', 'stopped (SIGTERM)', 'cut off from E', 'not stopped'])('%s', async (how) => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    await writeFile(path.join(eDocs, 'f.txt'), 'v1\n');
    await writeFile(path.join(eDocs, 'd2.txt'), 'doc 2\n');
    await writeRandomFile(path.join(eNotes, 'big.bin'), BIG);
    const d = (daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    await waitForDaemonToSee(d, 'notes', eNotes, 60_000);
    const r = tempDir('zync-r-');
    const rDocs = path.join(r, 'docs');
    const rNotes = path.join(r, 'notes');
    const docsOnly: ClientSetup = { daemon: d, dirs: { docs: rDocs }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(docsOnly);
    expect(first.code, first.stderr).toBe(0);
    await writeFile(path.join(eDocs, 'f.txt'), 'v2 on E\n');
    await rm(path.join(eDocs, 'd2.txt'));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const second = await runClientOnce(docsOnly);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(path.join(rDocs, 'f.txt'), 'utf8')).toBe('v2 on E\n');
    expect(await exists(path.join(rDocs, 'd2.txt'))).toBe(false);
    await writeFile(path.join(rDocs, 'f.txt'), 'v1\n');
    await writeFile(path.join(rDocs, 'd2.txt'), 'doc 2\n');

    // notes added: a full resync, stopped while it writes big.bin.
    const both: ClientSetup = { ...docsOnly, dirs: { docs: rDocs, notes: rNotes } };
    proxy = await startProxy({ targetPort: d.port });
    const client = spawnCli('client', clientArgs(how === 'cut off from E' ? { ...both, daemon: { ...d, url: proxy.url } } : both, ['--once']));
    await waitFor(
      async () => {
        for (const name of (await readdir(rNotes).catch(() => [] as string[])).filter((n) => n.startsWith('.zync-tmp-'))) {
          const info = await stat(path.join(rNotes, name)).catch(() => null);
          if (info && info.size > 1024 * 1024 && info.size < BIG) return true;
        }
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 5, what: 'big.bin partly written' },
    );
    if (how === 'killed -9') await client.kill9();
    else if (how === 'stopped (SIGTERM)') await client.stop('SIGTERM');
    else if (how === 'cut off from E') {
      proxy.cut();
      await client.exited;
      proxy.restore();
    } else expect(await client.exited, client.stderr()).toBe(0);

    const again = await runClientOnce(both);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(path.join(rDocs, 'f.txt'), 'utf8'), again.stderr).toBe('v1\n');
    expect(await readFile(path.join(rDocs, 'd2.txt'), 'utf8'), again.stderr).toBe('doc 2\n');
    expect(await conflictCopies(rDocs)).toEqual([]);
    // The resync ended: E's notes are all on R.
    expect((await stat(path.join(rNotes, 'big.bin'))).size).toBe(BIG);
  });
});
