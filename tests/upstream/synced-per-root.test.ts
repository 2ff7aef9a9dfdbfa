// A resync that cannot end for one root (a record E no longer has that R cannot delete: a file
// made immutable on R) must not keep another root from counting as synced once its own resync
// ended: --update-upstream of a name added to --dirs in that resync sends R's edits there, and
// still refuses nothing it refused before for the stuck root's sake alone.
import { execFileSync } from 'node:child_process';
import { unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee } from '../client/support.js';
import { runUpstream } from './support.js';

describe('a resync whose sweep keeps failing in one root', () => {
  let daemon: DaemonHandle;
  const immutable: string[] = [];
  afterEach(async () => {
    for (const file of immutable.splice(0)) execFileSync('chattr', ['-i', file]);
    await daemon?.stop();
  });

  it('a name added in it counts as synced once its own part ended: its upload goes', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    await writeFile(path.join(e1, 'stuck.txt'), 'stuck\n');
    await writeFile(path.join(e2, 'n.txt'), "E's note\n");
    // Deletions leave the log at once: a client behind them resyncs and sweeps.
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb(), args: ['--compact-interval', '0.01', '--tombstone-days', '0'] });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    const notes = tempDir('zync-r-notes-');
    const first = await runClientOnce({ daemon, dirs: { docs }, db });
    expect(first.code, first.stderr).toBe(0);
    // R cannot delete stuck.txt; E deletes it and its tombstone leaves the log.
    execFileSync('chattr', ['+i', path.join(docs, 'stuck.txt')]);
    immutable.push(path.join(docs, 'stuck.txt'));
    await unlink(path.join(e1, 'stuck.txt'));
    await waitForDaemonToSee(daemon, 'docs', e1);
    const probe = await connect(daemon.url, daemon.token);
    try {
      await probe.request('HELLO', { client_id: 'compaction-probe', protocol: 2 });
      await waitFor(
        async () => {
          const page = await probe.request('GET_CHANGES', { since_sequence: 0, limit: 5000 });
          return !(page.changes as { path: string }[]).some((c) => c.path === 'stuck.txt');
        },
        { timeoutMs: 30_000, what: "stuck.txt's tombstone compacted away" },
      );
    } finally {
      await probe.close();
    }

    // notes joins: one resync of both; docs' sweep cannot delete stuck.txt, notes' part ends.
    const both = await runClientOnce({ daemon, dirs: { docs, notes }, db });
    expect(both.code, both.stderr).toBe(1);
    expect(both.stderr).toMatch(/docs\/stuck\.txt: EPERM/);
    await writeFile(path.join(notes, 'mine.txt'), "R's own note\n");
    const upload = await runUpstream({ daemon, dirs: { notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });
});
