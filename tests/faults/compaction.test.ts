// A client whose cursor is older than the compaction horizon. The daemon compacts every ~0.6 s
// and keeps deletions for 0 days (--compact-interval 0.01 --tombstone-days 0), so while R is
// away every tombstone E logs is gone from the log before R comes back. Asserted: the daemon
// answers the old cursor with RESYNC_REQUIRED, R resyncs by itself, converges to E, keeps its
// own edits (a file E deleted that R edited survives as a conflict copy), and the files deleted
// on E that R had not touched disappear from R even though no log entry says so any more.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type TreeEntry } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';

async function hello(daemon: DaemonHandle): Promise<{ last_sequence: number; compacted_through: number }> {
  const client = await connect(daemon.url, daemon.token);
  try {
    const answer = await client.request('HELLO', { client_id: 'compaction-probe', protocol: 2 });
    return { last_sequence: answer.last_sequence as number, compacted_through: answer.compacted_through as number };
  } finally {
    await client.close();
  }
}

describe('a client behind the compaction horizon', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    for (const dir of ['keep', 'gone-dir/sub', 'mixed']) await mkdir(path.join(e, dir), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(path.join(e, 'keep', `k${i}.txt`), `keep ${i}\n`);
    for (let i = 0; i < 10; i++) await writeFile(path.join(e, 'gone-dir/sub', `g${i}.txt`), `gone ${i}\n`);
    for (let i = 0; i < 10; i++) await writeFile(path.join(e, 'mixed', `m${i}.txt`), `mixed ${i}\n`);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: ['--compact-interval', '0.01', '--tombstone-days', '0'] });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('resyncs, converges, keeps R\'s edits and applies the deletions whose tombstones were compacted', async () => {
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    const cursor = (await hello(daemon)).last_sequence;

    // R edits while it is away from E.
    await writeFile(path.join(r, 'keep/k0.txt'), 'edited on R\n'); // E leaves it alone
    await writeFile(path.join(r, 'mixed/m0.txt'), 'edited on R, deleted on E\n');
    await writeFile(path.join(r, 'mixed/m1.txt'), 'edited on R, modified on E\n');
    await writeFile(path.join(r, 'r-only.txt'), 'made on R\n');

    // E deletes, modifies and adds meanwhile.
    await rm(path.join(e, 'gone-dir'), { recursive: true });
    for (const i of [0, 2, 3, 4]) await rm(path.join(e, 'mixed', `m${i}.txt`));
    await writeFile(path.join(e, 'mixed/m1.txt'), 'modified on E\n');
    await writeFile(path.join(e, 'mixed/m5.txt'), 'modified on E\n');
    await writeFile(path.join(e, 'keep/new-on-e.txt'), 'new on E\n');
    await waitForDaemonToSee(daemon, 'docs', e);

    // Every tombstone E logged is compacted away, past R's cursor.
    const probe = await connect(daemon.url, daemon.token);
    await waitFor(
      async () => {
        const log = await probe.request('GET_CHANGES', { since_sequence: 0, limit: 5000 });
        return !(log.changes as { operation: string }[]).some((c) => c.operation === 'delete');
      },
      { what: 'the tombstones to be compacted' },
    );
    expect((await hello(daemon)).compacted_through).toBeGreaterThan(cursor);
    expect(await probe.request('GET_CHANGES', { since_sequence: cursor, limit: 5000 })).toMatchObject({ status: 'error', code: 'RESYNC_REQUIRED' });
    await probe.close();

    const second = await runClientOnce(setup);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/full resync: the log was compacted past this client's position/);

    // R = E, except R's own edits, which stand (or were kept as conflict copies).
    const expected: Record<string, TreeEntry> = { ...(await treeDigest(e)) };
    const onR = await treeDigest(r);
    expected['keep/k0.txt'] = onR['keep/k0.txt']!;
    expected['r-only.txt'] = onR['r-only.txt']!;
    expect(onR).toEqual(expected);
    expect(await readFile(path.join(r, 'keep/k0.txt'), 'utf8')).toBe('edited on R\n');
    expect(await readFile(path.join(r, 'mixed/m1.txt'), 'utf8')).toBe('modified on E\n');
    const copies = await conflictCopies(r);
    expect(copies.map((c) => c.replace(/\.zync-conflict-.*$/, ''))).toEqual(['mixed/m0', 'mixed/m1']);
    const kept = await Promise.all(copies.map((c) => readFile(path.join(r, c), 'utf8')));
    expect(kept.sort()).toEqual(['edited on R, deleted on E\n', 'edited on R, modified on E\n']);
    // The deleted subtree and the unedited deleted files are gone from R.
    expect(Object.keys(onR).filter((p) => p.startsWith('gone-dir') || /mixed\/m[234]\.txt/.test(p))).toEqual([]);

    // And R is back to following the log: a later change arrives as an ordinary pull.
    await writeFile(path.join(e, 'keep/after.txt'), 'after the resync\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const third = await runClientOnce(setup);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).not.toMatch(/full resync/);
    expect(await readFile(path.join(r, 'keep/after.txt'), 'utf8')).toBe('after the resync\n');
  });
});
