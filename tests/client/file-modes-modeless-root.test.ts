// R's root on a file system without Unix modes (a vfat stick): every file shows the same bits,
// whatever E's are, and a chmod changes nothing. R records the bits its file had once written and
// measures a chmod of R's against those, so nothing there looks chmodded. Before: every file
// looked chmodded to E's bits' difference, so each deletion on E left a conflict copy with a
// warning, a rename said R's bits went with it, --update-upstream with no edits staged every file,
// and an edit went upstream with the stick's bits for E's file. Emulated with bindfs (every file
// 755, chmod ignored), and with a vfat image through fusefat, which refuses every chmod (ENOSYS:
// before, no file could be placed, "could not apply … (will retry)" at every pass); needs root,
// /dev/fuse, bindfs, fusefat and mkfs.vfat (Debian: bindfs, fusefat, dosfstools), each part
// skipped with the reason otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '@zync/client';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { conflictCopies, runClientOnce, waitForDaemonToSee, type ClientSetup } from './support.js';

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

function fuseUnavailable(tools: string[]): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: no FUSE mount can be made';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: nothing can be mounted';
  for (const tool of tools) {
    try {
      run(['sh', '-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}
const unavailable = fuseUnavailable(['bindfs']);
const fatUnavailable = fuseUnavailable(['fusefat', 'mkfs.vfat']);

describe.skipIf(unavailable !== null)(`a root without Unix modes on R${unavailable ? ` (${unavailable})` : ''}`, () => {
  let mount: string | undefined;
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  const onE = (p: string) => path.join(e, p);
  const onR = (p: string) => path.join(r, p);

  beforeAll(async () => {
    e = tempDir('zync-e-');
    await writeFile(onE('run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    for (const name of ['a.txt', 'gone.txt', 'moved.txt', 'mod.txt']) await writeFile(onE(name), `${name}\n`, { mode: 0o644 });
    r = tempDir('zync-r-');
    run(['bindfs', '--chmod-ignore', '--perms=0755', tempDir('zync-r-backing-'), r]);
    mount = r;
    daemon = await startDaemon({ dirs: { docs: e } });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    expect(await modeOf(onR('a.txt'))).toBe(0o755); // the root's bits, not E's 644
    expect(first.stderr.match(/R's root for "docs" does not keep permission bits/g)).toHaveLength(1);
  });
  afterAll(async () => {
    await daemon?.stop();
    if (mount) run(['fusermount', '-u', '-z', mount]);
  });

  it('sends nothing upstream while R edited nothing', async () => {
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Nothing to send upstream/);
  });

  it("takes E's deletions and renames without conflict copies or words about R's chmods", async () => {
    await rm(onE('gone.txt'));
    await rename(onE('moved.txt'), onE('renamed.txt'));
    await writeFile(onE('mod.txt'), 'mod.txt v2\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:|chmodded on R/);
    expect(await conflictCopies(r)).toEqual([]);
    expect((await readdir(r)).sort()).toEqual(['a.txt', 'mod.txt', 'renamed.txt', 'run.sh']);
  });

  it("sends R's edit with E's bits, not the root's", async () => {
    await writeFile(onR('a.txt'), 'a.txt from R\n');
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await modeOf(onE('a.txt'))).toBe(0o644);
    expect(await modeOf(onE('run.sh'))).toBe(0o755);
  });
});

describe.skipIf(unavailable !== null)(`records of a zync from before R's own bits were kept, on a root without Unix modes${unavailable ? ` (${unavailable})` : ''}`, () => {
  let mount: string | undefined;
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
    if (mount) run(['fusermount', '-u', '-z', mount]);
  });

  // Before: each such file looked chmodded to the root's 755, so E's deletion left a conflict copy
  // ("chmodded on R (755)"), and --update-upstream with no edits staged a chmod of every file,
  // which zync-apply made real on E.
  it("takes the bits each file shows for its own: E's deletion leaves no conflict copy, nothing goes upstream", async () => {
    const e = tempDir('zync-e-');
    for (const name of ['a.txt', 'b.txt']) await writeFile(path.join(e, name), `${name}\n`, { mode: 0o644 });
    const r = tempDir('zync-r-');
    run(['bindfs', '--chmod-ignore', '--perms=0755', tempDir('zync-r-backing-'), r]);
    mount = r;
    daemon = await startDaemon({ dirs: { docs: e } });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    // As an older zync recorded them (sql/009 came later): no bits of R's file's own.
    const store = ClientStore.open(setup.db);
    const records = [...store.getEntries(['a.txt', 'b.txt'].map((p) => ({ base_dir: 'docs', path: p }))).values()];
    expect(records).toHaveLength(2);
    store.commitBatch({ upserts: records.map(({ local_mode: _, ...record }) => record), removals: [] });
    store.close();

    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Nothing to send upstream/);

    await rm(path.join(e, 'a.txt'));
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:|chmodded on R/);
    expect(await readdir(r)).toEqual(['b.txt']);
    const again = await runUpstream(setup);
    expect(again.stdout).toMatch(/Nothing to send upstream/);
    expect(await modeOf(path.join(e, 'b.txt'))).toBe(0o644);
  });
});

describe.skipIf(fatUnavailable !== null)(`a root that refuses every chmod on R${fatUnavailable ? ` (${fatUnavailable})` : ''}`, () => {
  let mount: string | undefined;
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
    if (mount) run(['fusermount', '-u', '-z', mount]);
  });

  it('places every file with the bits the root gives, says so once, and sees no chmod of R\'s', async () => {
    const e = tempDir('zync-e-');
    await writeFile(path.join(e, 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    for (const name of ['a.txt', 'b.txt']) await writeFile(path.join(e, name), `${name}\n`, { mode: 0o644 });
    const image = path.join(tempDir('zync-fat-'), 'stick.img');
    run(['truncate', '-s', '16M', image]);
    run(['mkfs.vfat', image]);
    mount = tempDir('zync-stick-');
    run(['fusefat', '-o', 'rw+', image, mount]);
    const r = path.join(mount, 'R');
    daemon = await startDaemon({ dirs: { docs: e } });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };

    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    expect((await readdir(r)).sort()).toEqual(['a.txt', 'b.txt', 'run.sh']);
    expect(first.stderr.match(/does not keep permission bits/g)).toHaveLength(1);
    expect(first.stderr).not.toMatch(/could not apply/);

    await rm(path.join(e, 'b.txt'));
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:/);
    expect((await readdir(r)).sort()).toEqual(['a.txt', 'run.sh']);
    const sent = await runUpstream(setup);
    expect(sent.stdout).toMatch(/Nothing to send upstream/);
  });
});
