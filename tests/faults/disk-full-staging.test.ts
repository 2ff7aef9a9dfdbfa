// No space left on E's disk while staging. The daemon's state directory (its database and
// zync-staging/) lives on a small tmpfs; R sends a file larger than the space left. The client
// exits non-zero with one sentence about E's disk, nothing appliable is left on E (the session
// is aborted and its staged bytes are gone), E's tree is untouched, and once the disk has room
// again the same --update-upstream stages everything and zync-apply applies it.
import { readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, treeDigest, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-staging: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("no space left on E's disk while staging", () => {
  let disk: Tmpfs;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    disk = mountTmpfs(24);
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'small.txt'), 'from E\n');
    await writeRandomFile(path.join(e, 'data/base.bin'), 1 * MiB);
    daemon = await startDaemon({ dirs: { docs: e }, db: path.join(disk.dir, 'sync.db') });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('fails with one sentence about the disk and leaves nothing appliable', async () => {
    const eBefore = await treeDigest(e);
    await writeRandomFile(path.join(r, 'data/huge.bin'), 40 * MiB);
    await writeFile(path.join(r, 'small.txt'), 'edited on R\n');
    await writeFile(path.join(r, 'added.txt'), 'new on R\n');

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).not.toBe(0);
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('zync-client: '));
    expect(errors, result.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^zync-client: [^\n]*\bE\b[^\n]*(disk|space)[^\n]*\.$/i);
    expect(result.code).toBe(7);

    // Nothing appliable: the session is aborted (disk full) and its staged bytes are gone.
    const sessions = await waitFor(async () => {
      const all = await listSessions(daemon);
      return all.length === 1 && all[0]!.status === 'aborted' ? all : null;
    }, { what: 'the session to be aborted' });
    expect(sessions[0]!.reason).toMatch(/disk full/);
    expect(await listSessions(daemon, false)).toEqual([]);
    await waitFor(async () => (await readdir(path.join(disk.dir, 'zync-staging'))).length === 0, { what: 'the staged bytes to be removed' });
    expect(disk.usedBytes()).toBeLessThan(4 * MiB);
    const refused = await runApply(daemon, ['apply', sessions[0]!.staging_id, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(await treeDigest(e)).toEqual(eBefore);
    expect(daemon.proc.exitCode).toBeNull();
  });

  it('stages and applies once E has room again', async () => {
    disk.resize(128);
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Staged 3 changes upstream as session \S+ \(1 added|2 added/);
    const id = stagingIdFrom(again.stdout);
    expect(await listSessions(daemon, false)).toEqual([expect.objectContaining({ staging_id: id, status: 'complete', file_count: 3 })]);

    const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`Applied session ${id}: 3 written`));
    expect(await sameTree(e, r)).toBe(true);

    // R receives the applied changes as ordinary changes and stays equal to E.
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
  });
});
