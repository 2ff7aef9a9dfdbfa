// No space left on R's disk during a download. R's root and the client database live on a small
// tmpfs; E adds a file larger than the space left. `--once` fails with one sentence (DISK_FULL,
// exit 7) and leaves no partial file at any target path, no temp file eating the space, and R's
// previous files as they were (or wholly updated). Once the tmpfs is remounted bigger, the same
// command converges. In continuous mode the client says so once, waits for room and
// converges by itself once a filler file on the same disk is deleted. A disk so full that the client database
// cannot open is the same one sentence (exit 7), not a stack trace, and a first run's new state
// directory is taken back.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findTempFiles,
  sameTree,
  startDaemon,
  tempDir,
  treeDigest,
  waitFor,
  writeRandomFile,
  type DaemonHandle,
  type TreeEntry,
} from '../helpers/index.js';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from '../client/support.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`disk-full-client: skipped: ${unavailable}`);

/** The lines zync-client printed as its final error (`zync-client: ...`). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('zync-client: '));

describe.skipIf(unavailable !== null)("no space left on R's disk during a download", () => {
  let disk: Tmpfs;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    disk = mountTmpfs(16);
    e = tempDir('zync-e-');
    r = path.join(disk.dir, 'r');
    await writeFile(path.join(e, 'notes.txt'), 'from E\n');
    await writeRandomFile(path.join(e, 'keep/b.bin'), 2 * MiB);
    await writeTree(path.join(e, 'small'), 40);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    await mkdir(path.join(disk.dir, 'state'));
    setup = { daemon, dirs: { docs: r }, db: path.join(disk.dir, 'state', 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    disk?.unmount();
  });

  it('--once fails with DISK_FULL, keeps nothing partial and leaves R as it was', async () => {
    const before = await treeDigest(r);
    await writeRandomFile(path.join(e, 'big/huge.bin'), 24 * MiB);
    await writeRandomFile(path.join(e, 'keep/b.bin'), 2 * MiB);
    await writeTree(path.join(e, 'more'), 30);
    await waitForDaemonToSee(daemon, 'docs', e);
    const expected = await treeDigest(e);

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(7);
    const errors = errorLines(result.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^zync-client: No space left on R's disk: \d+ change\(s\) could not be written \(the first: docs\/[^)]+\); .*run again\.$/);
    // It gave up at once instead of downloading the big file again and again within the pass.
    expect(result.stderr).not.toMatch(/retrying \d+ change/);

    // Nothing partial anywhere: every file R holds is whole — E's new content or what R had.
    expect(await findTempFiles(r)).toEqual([]);
    const after = await treeDigest(r);
    expect(after['big/huge.bin']).toBeUndefined();
    for (const [p, entry] of Object.entries(after)) {
      const versions = [before[p], expected[p]].filter((v): v is TreeEntry => v !== undefined);
      expect(versions, `${p} is neither R's old nor E's new version`).toContainEqual(entry);
    }
    for (const p of Object.keys(before)) expect(after[p], `${p} vanished from R`).toBeDefined();

    // No temp file is eating the space: what the tmpfs holds is R's whole files plus the database.
    const held = Object.values(after).reduce((sum, f) => sum + (f.size ?? 0), 0);
    expect(disk.usedBytes()).toBeLessThan(held + 2 * MiB);
  });

  it('converges once the disk has room again', async () => {
    disk.resize(64);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/up to date/);
    expect(await sameTree(r, e)).toBe(true);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('continuous mode waits while the disk is full and converges when space is freed', async () => {
    await writeRandomFile(path.join(e, 'big/second.bin'), 20 * MiB);
    await waitForDaemonToSee(daemon, 'docs', e);
    // Fill the same disk from outside R's root so that only 8 MiB are left.
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes() - 8 * MiB);

    const client = spawnClient(setup, ['--interval', '60']);
    const warnings = () => client.stderr().match(/No space left on R's disk: .*fetched again once R's disk has room for it/g) ?? [];
    await waitFor(() => warnings().length >= 1, { timeoutMs: 40_000, what: 'the full disk to be said' });
    expect(client.proc.exitCode).toBeNull();
    expect(await treeDigest(r)).not.toHaveProperty('big/second.bin');

    await rm(filler);
    await waitFor(() => sameTree(r, e), { timeoutMs: 40_000, what: 'R to converge once space was freed' });
    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it('a disk already full when the client starts (its database cannot even open) is DISK_FULL too', async () => {
    await writeFile(path.join(e, 'later.txt'), 'one more\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes());

    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(7);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/^zync-client: No space left on R's disk\b[^\n]*; free some space and run again\.$/)]);

    await rm(filler);
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
  });

  it('a first run whose new state cannot open on a full disk takes back the directory it made for it', async () => {
    const filler = path.join(disk.dir, 'filler.bin');
    await writeRandomFile(filler, disk.freeBytes());
    try {
      const fresh: ClientSetup = { daemon, dirs: { docs: path.join(disk.dir, 'new-r') }, db: path.join(disk.dir, 'new-state/deeper/sync_client.db') };
      const result = await runClientOnce(fresh);
      expect(result.code, result.stderr).toBe(7);
      expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/^zync-client: No space left on R's disk\b/)]);
      // Before: new-state/deeper/ stayed, holding an empty sync_client.db. The root is made after the state.
      expect((await readdir(disk.dir)).sort()).toEqual(['filler.bin', 'r', 'state']);
    } finally {
      await rm(filler);
    }
  });
});
