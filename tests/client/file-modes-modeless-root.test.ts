// R's root on a file system without Unix modes (a vfat stick): every file shows the same bits,
// whatever E's are, and a chmod changes nothing. R records the bits its file had once written and
// measures a chmod of R's against those, so nothing there looks chmodded. Before: every file
// looked chmodded to E's bits' difference, so each deletion on E left a conflict copy with a
// warning, a rename said R's bits went with it, --update-upstream with no edits staged every file,
// and an edit went upstream with the stick's bits for E's file. Emulated with bindfs (every file
// 755, chmod ignored); needs root, /dev/fuse and bindfs (Debian: bindfs), skipped with the reason
// otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { conflictCopies, runClientOnce, waitForDaemonToSee, type ClientSetup } from './support.js';

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

function bindfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: no FUSE mount can be made';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: bindfs cannot mount';
  try {
    run(['sh', '-c', 'command -v bindfs']);
  } catch {
    return 'bindfs is not installed';
  }
  return null;
}
const unavailable = bindfsUnavailable();

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

  it("takes E's deletions and renames without conflict copies or words about permissions", async () => {
    await rm(onE('gone.txt'));
    await rename(onE('moved.txt'), onE('renamed.txt'));
    await writeFile(onE('mod.txt'), 'mod.txt v2\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:|permissions:/);
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
