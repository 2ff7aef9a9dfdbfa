// R's root on a file system that keeps no birth times (ext4 made with 128-byte inodes here; ext2,
// ext3 and many FUSE mounts alike): a root removed and made again from an older backup (`cp -a`)
// while no client ran can get the freed inode number back, so the root directory's identity
// cannot tell it from the directory R synced. R's files decide then, at a start and at an upload:
// the backup's files are not as R wrote them, so the root is another directory — its records are
// dropped, nothing of it is sent upstream as R's edits or deletions, and E's files are fetched
// into it. A root R only edited in (the same directory) keeps its records and sends its edit.
import { execFileSync } from 'node:child_process';
import { cp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { listSessions, runUpstream } from '../upstream/support.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { loopExt4Unavailable } from './tmpfs.js';

const unavailable = loopExt4Unavailable();
if (unavailable) console.warn(`root-without-birth-times: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("R's root on a file system without birth times", () => {
  const img = path.join(tempDir('zync-img-'), 'r.img');
  const mnt = tempDir('zync-mnt-');
  let mounted = false;
  let daemon: DaemonHandle | undefined;
  beforeAll(() => {
    execFileSync('truncate', ['-s', '32M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-I', '128', img]);
    execFileSync('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
  });

  async function synced(name: string): Promise<{ e: string; docs: string; setup: ClientSetup }> {
    const e = tempDir('zync-e-');
    for (let i = 1; i <= 4; i++) await writeFile(path.join(e, `f${i}.txt`), `file ${i} v1\n`);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    const docs = path.join(mnt, name);
    const setup: ClientSetup = { daemon, dirs: { docs }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    expect((await stat(docs, { bigint: true })).birthtimeNs).toBe(0n);
    return { e, docs, setup };
  }

  it('an older backup copied back where the root was is another directory: nothing of it goes upstream, E\'s files come', async () => {
    const { e, docs, setup } = await synced('restored');
    const backup = path.join(tempDir('zync-bak-'), 'docs');
    await cp(docs, backup, { recursive: true, preserveTimestamps: true });
    await writeFile(path.join(e, 'f1.txt'), 'file 1 v2 (E, newer)\n');
    await writeFile(path.join(e, 'f5.txt'), 'file 5 (E, newer)\n');
    await waitForDaemonToSee(daemon!, 'docs', e);
    expect((await runClientOnce(setup)).code).toBe(0);
    await rm(docs, { recursive: true });
    await cp(backup, docs, { recursive: true, preserveTimestamps: true });

    const up = await runUpstream(setup);
    expect(up.code, up.stderr).not.toBe(0);
    expect(up.stderr).toMatch(/is not the directory R synced there/);
    expect(await listSessions(daemon!)).toEqual([]);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(path.join(docs, 'f1.txt'), 'utf8')).toBe('file 1 v2 (E, newer)\n');
    expect(await readFile(path.join(docs, 'f5.txt'), 'utf8')).toBe('file 5 (E, newer)\n');
  });

  it('the same directory, edited on R, keeps its records: the edit goes upstream as one', async () => {
    const { docs, setup } = await synced('edited');
    await writeFile(path.join(docs, 'f2.txt'), 'file 2 edited on R\n');
    await writeFile(path.join(docs, 'notes.txt'), 'new on R\n');
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(await conflictCopies(docs)).toEqual([]);
    const up = await runUpstream(setup);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/1 added, 1 modified, 0 deleted/);
  });
});
