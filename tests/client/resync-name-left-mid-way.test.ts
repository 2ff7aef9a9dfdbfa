// R's put-back file survives a resync that stopped after it had applied E's deletion of it. R
// synced docs; E then deleted g.txt; notes added to --dirs starts a full resync, whose first page
// applies that deletion (R's g.txt goes, as it should) and which stops in its second page. R's
// user puts g.txt back as it was. Before, what R had passed for docs stayed where the resync started:
// leaving docs out of a run then (left_at), or starting a resync within the stopped one (a third
// name), kept that start, so the next resync counted E's deletion of g as later than R's state
// and deleted R's put-back file as E's, no conflict copy, nothing said. Resumed as it was, the
// resync never replays that page: R's file stays there too.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, spawnCli, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

/** Big enough that the resync is still downloading it when it is stopped. */
const BIG = 100 * 1024 * 1024;

type Stop = 'kill -9' | 'SIGTERM' | 'none';
type Then = 'docs left out of a run, then given again' | 'a third name given' | 'resumed as it was';

describe("a resync stopped after it applied E's deletion keeps R's put-back file", () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it.each<[Stop, Then]>([
    ['kill -9', 'docs left out of a run, then given again'],
    ['SIGTERM', 'docs left out of a run, then given again'],
    ['kill -9', 'a third name given'],
    ['kill -9', 'resumed as it was'],
    ['none', 'docs left out of a run, then given again'],
  ])('stopped by %s; %s', async (stop, then) => {
    const eDocs = tempDir('zync-e-docs-');
    const eNotes = tempDir('zync-e-notes-');
    const eExtra = tempDir('zync-e-extra-');
    await writeFile(path.join(eDocs, 'a.txt'), 'a\n');
    await writeFile(path.join(eDocs, 'g.txt'), 'g\n');
    await writeFile(path.join(eNotes, 'n.txt'), 'n\n');
    await writeFile(path.join(eExtra, 'x.txt'), 'x\n');
    const d = (daemon = await startDaemon({ dirs: { docs: eDocs, notes: eNotes, extra: eExtra }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const r = tempDir('zync-r-');
    const rDocs = path.join(r, 'docs');
    const rNotes = path.join(r, 'notes');
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docsOnly: ClientSetup = { daemon: d, dirs: { docs: rDocs }, db };
    const both: ClientSetup = { daemon: d, dirs: { docs: rDocs, notes: rNotes }, db };
    const first = await runClientOnce(docsOnly);
    expect(first.code, first.stderr).toBe(0);
    // After R's position: E deletes g, then logs enough in notes that big.bin comes in a later page.
    await rm(path.join(eDocs, 'g.txt'));
    await waitForDaemonToSee(d, 'docs', eDocs);
    for (let dir = 0; dir < 51; dir++) {
      await mkdir(path.join(eNotes, `d${dir}`));
      await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(path.join(eNotes, `d${dir}`, `f${i}.txt`), `${dir}/${i}\n`)));
    }
    await waitForDaemonToSee(d, 'notes', eNotes, 60_000);
    await writeRandomFile(path.join(eNotes, 'zbig.bin'), BIG);
    await waitForDaemonToSee(d, 'notes', eNotes, 60_000);

    // docs + notes: a full resync, stopped in its second page (the first, with g's deletion, recorded).
    const client = spawnCli('client', clientArgs(both, ['--once']));
    await waitFor(
      async () => {
        for (const name of (await readdir(rNotes).catch(() => [] as string[])).filter((n) => n.startsWith('.zync-tmp-'))) {
          const info = await stat(path.join(rNotes, name)).catch(() => null);
          if (info && info.size > 1024 * 1024 && info.size < BIG) return true;
        }
        return false;
      },
      { timeoutMs: 90_000, intervalMs: 5, what: 'zbig.bin partly written' },
    );
    if (stop === 'kill -9') await client.kill9();
    else if (stop === 'SIGTERM') await client.stop('SIGTERM');
    else expect(await client.exited, client.stderr()).toBe(0);
    expect(await exists(path.join(rDocs, 'g.txt'))).toBe(false);
    // R's user puts g back as it was (from a backup, say): the content E's deletion names.
    await writeFile(path.join(rDocs, 'g.txt'), 'g\n');

    if (then === 'docs left out of a run, then given again') {
      const notesOnly = await runClientOnce({ ...both, dirs: { notes: rNotes } });
      expect(notesOnly.code, notesOnly.stderr).toBe(0);
    }
    const last = await runClientOnce(then === 'a third name given' ? { ...both, dirs: { ...both.dirs, extra: path.join(r, 'extra') } } : both);
    expect(last.code, last.stderr).toBe(0);
    expect(await exists(path.join(rDocs, 'g.txt')), last.stderr).toBe(true);
    expect(await conflictCopies(rDocs)).toEqual([]);
    expect((await stat(path.join(rNotes, 'zbig.bin'))).size).toBe(BIG);
  });
});
