// E → R convergence under real-world editing patterns, with a continuous client on R: each test
// changes E the way a tool or a person does, waits until R's tree equals E's (bytes, exec bits,
// directories), and checks what must not happen on the way.
import { createHash } from 'node:crypto';
import { appendFile, link, mkdir, utimes, writeFile } from 'node:fs/promises';
import { renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, sameTree, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, syncedPair, type SyncedPair } from './support.js';

describe('editing patterns on E, continuous client on R', () => {
  let pair: SyncedPair;
  let client: SpawnedCli;

  beforeAll(async () => {
    pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'start.txt'), 'synced once\n');
    });
    client = spawnClient(pair.setup, ['--interval', '5']);
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await pair?.daemon.stop();
  });

  /** Every entry the daemon has logged so far, oldest first. */
  async function history(daemon: DaemonHandle): Promise<{ path: string; checksum: string | null }[]> {
    const client = await connect(daemon.url, daemon.token);
    try {
      const out: { path: string; checksum: string | null }[] = [];
      for (let since = 0; ; ) {
        const page = await client.request('GET_CHANGES', { since_sequence: since, limit: 5000 });
        if (page.status !== 'ok') throw new Error(`GET_CHANGES failed: ${page.error}`);
        out.push(...(page.changes as { path: string; checksum: string | null }[]));
        since = page.to_sequence as number;
        if (!page.more_available) return out;
      }
    } finally {
      await client.close();
    }
  }

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const converged = (what: string) => waitFor(() => sameTree(pair.r, pair.e), { timeoutMs: 30_000, what });

  it('a file dated before 1970 arrives with its date and does not hold up later changes', async () => {
    // `touch -d 1960-01-01`, or a tarball from a tool that wrote no dates.
    const old = path.join(pair.e, 'old.txt');
    await writeFile(old, 'from before the epoch\n');
    const before1970 = new Date('1960-01-01T00:00:00Z');
    await utimes(old, before1970, before1970);
    await writeFile(path.join(pair.e, 'after.txt'), 'written after it\n');
    await converged('R to receive a file dated 1960 and the one after it');
    expect(statSync(path.join(pair.r, 'old.txt')).mtimeMs).toBe(before1970.getTime());
    expect(client.stderr()).not.toMatch(/malformed/);
  });

  it("a JetBrains safe write sends the saved file only, not the editor's temp and old names", async () => {
    // New content to `x___jb_tmp___`, `x` moved to `x___jb_old___`, the temp renamed to `x`; the
    // old one is removed once the save succeeded (a slow save keeps both names for seconds).
    await writeFile(path.join(pair.e, 'jb.txt'), 'before\n');
    await converged('R to receive jb.txt');
    await writeFile(path.join(pair.e, 'jb.txt___jb_tmp___'), 'saved by the IDE\n');
    renameSync(path.join(pair.e, 'jb.txt'), path.join(pair.e, 'jb.txt___jb_old___'));
    renameSync(path.join(pair.e, 'jb.txt___jb_tmp___'), path.join(pair.e, 'jb.txt'));
    await waitFor(async () => (await history(pair.daemon)).some((c) => c.path === 'jb.txt' && c.checksum === sha256('saved by the IDE\n')), {
      timeoutMs: 30_000,
      what: 'E to log the saved jb.txt',
    });
    rmSync(path.join(pair.e, 'jb.txt___jb_old___'));
    await converged('R to receive the saved jb.txt');
    expect((await history(pair.daemon)).filter((c) => c.path.includes('___jb_'))).toEqual([]);
  });

  it('a file written through one of its hard links arrives under every name', async () => {
    // The OS reports the write for the name it went through only (cp -al trees, pnpm stores).
    await writeFile(path.join(pair.e, 'linked.txt'), 'one inode\n');
    await mkdir(path.join(pair.e, 'links'));
    await link(path.join(pair.e, 'linked.txt'), path.join(pair.e, 'alias.txt'));
    await link(path.join(pair.e, 'linked.txt'), path.join(pair.e, 'links/other-dir.txt'));
    await converged('R to receive three names of one file');
    await appendFile(path.join(pair.e, 'linked.txt'), 'appended through one name\n');
    await converged('R to receive the new content under every name');
  });

  it('a directory swapped for a symlink to one outside the root logs nothing from outside it', async () => {
    // `mv lib lib.old && ln -s /elsewhere/lib lib`: the files the watcher saw go away under lib/
    // have namesakes behind the link. Reached through it, they are not in E's tree.
    const outside = tempDir('zync-outside-');
    const secret = 'outside the root\n';
    await writeFile(path.join(outside, 'f1'), secret);
    await writeFile(path.join(outside, 'f2'), secret);
    await mkdir(path.join(outside, 'sub'));
    await writeFile(path.join(outside, 'sub/f4'), secret);
    const secretSum = createHash('sha256').update(secret).digest('hex');
    const lk = path.join(pair.e, 'lk');
    for (let round = 0; round < 5; round++) {
      await mkdir(lk);
      for (const name of ['f1', 'f2', 'f3']) await writeFile(path.join(lk, name), `round ${round} ${name}\n`);
      await converged(`R to receive lk/, round ${round}`);
      // Synchronous calls: the swap happens within microseconds, before the watcher looks.
      renameSync(lk, `${lk}.old`);
      symlinkSync(outside, lk);
      rmSync(`${lk}.old`, { recursive: true });
      await converged(`R to drop lk/, round ${round}`);
      rmSync(lk);
    }
    const leaked = (await history(pair.daemon)).filter((e) => e.checksum === secretSum || e.path.startsWith('lk/sub'));
    expect(leaked).toEqual([]);
  });

  it('a root deleted and made again is watched again: later edits in it arrive too', async () => {
    // `rm -rf root && mkdir root`: the daemon's watch was on the directory that is gone.
    rmSync(pair.e, { recursive: true });
    await mkdir(pair.e);
    await writeFile(path.join(pair.e, 'first.txt'), 'in the new root\n');
    await converged('R to follow the new root');
    await writeFile(path.join(pair.e, 'second.txt'), 'written once the new root was synced\n');
    await mkdir(path.join(pair.e, 'dir'));
    await writeFile(path.join(pair.e, 'dir/third.txt'), 'in a new directory of the new root\n');
    await converged('R to receive edits made in the new root');
  });

  it('a root moved away and replaced by a new directory is watched again, subdirectories too', async () => {
    // The old directory lives on elsewhere, still watched, with a subdirectory of the same name.
    const moved = `${pair.e}.old`;
    renameSync(pair.e, moved);
    await mkdir(path.join(pair.e, 'dir'), { recursive: true });
    await writeFile(path.join(pair.e, 'dir/first.txt'), 'in the replacement root\n');
    await converged('R to follow the replacement root');
    await writeFile(path.join(pair.e, 'second.txt'), 'written once the replacement was synced\n');
    await writeFile(path.join(pair.e, 'dir/third.txt'), 'in its subdirectory\n');
    await converged('R to receive edits made in the replacement root');
    rmSync(moved, { recursive: true });
  });
});
