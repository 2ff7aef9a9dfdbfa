// A chmod on R goes upstream like an edit: `chmod +x` of a received file changes no size, mtime
// or inode, yet --update-upstream stages it, `zync-apply show` names the new permission bits, the
// apply sets them on E's file in place (same content, so no backup) and logs the change, and R
// then receives it as an ordinary change with nothing left to send. A chmod made after an edit
// was staged is staged again rather than taken for the pending edit, and a private directory
// made on R keeps its permission bits on E and, after the round trip, on R.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, expectSameTree, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('upstream: a permission change made on R', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'tool.sh'), '#!/bin/sh\necho hello\n', { mode: 0o644 });
      await writeFile(path.join(e, 'notes.txt'), 'untouched\n');
    }));
    expect(await modeOf(path.join(r, 'tool.sh'))).toBe(0o644);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('--update-upstream stages chmod +x as a modify of the same content', async () => {
    await chmod(path.join(r, 'tool.sh'), 0o755);
    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    stagingId = stagingIdFrom(result.stdout);
    expect(await modeOf(path.join(e, 'tool.sh'))).toBe(0o644);
  });

  it('show names the permission bits it will set', async () => {
    const shown = await runApply(daemon, ['show', stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/tool\.sh\s+modify\s+\d+ B\s+ok: same content, permissions 644 -> 755$/m);
  });

  it('apply sets them on E’s file without rewriting or backing it up', async () => {
    const before = await stat(path.join(e, 'tool.sh'));
    const result = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Applied session \S+: 0 written, 1 permission change, 0 deleted\./);
    const after = await stat(path.join(e, 'tool.sh'));
    expect(after.mode & 0o7777).toBe(0o755);
    expect(after.ino).toBe(before.ino);
    expect(await readFile(path.join(e, 'tool.sh'), 'utf8')).toBe('#!/bin/sh\necho hello\n');
    expect(await exists(path.join(daemon.stateDir, 'zync-backups', stagingId))).toBe(false);
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'applied' })]);
  });

  it('R then converges with nothing left to send', async () => {
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/0 conflict\(s\)/);
    await expectSameTree(r, e);
    expect(await modeOf(path.join(r, 'tool.sh'))).toBe(0o755);
    expect(await conflictCopies(r)).toEqual([]);

    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Nothing to send upstream/);
  });
});

describe('upstream: a chmod on R after the edit was staged', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'build.sh'), 'make\n', { mode: 0o644 });
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is staged again instead of being taken for the pending edit, and both sessions land on E', async () => {
    await writeFile(path.join(r, 'build.sh'), 'make all\n');
    const edit = await runUpstream(setup);
    expect(edit.code, edit.stderr).toBe(0);
    const editSession = stagingIdFrom(edit.stdout);

    await chmod(path.join(r, 'build.sh'), 0o755);
    const bits = await runUpstream(setup);
    expect(bits.code, bits.stderr).toBe(0);
    expect(bits.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const bitsSession = stagingIdFrom(bits.stdout);

    for (const id of [editSession, bitsSession]) {
      const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
    }
    expect(await readFile(path.join(e, 'build.sh'), 'utf8')).toBe('make all\n');
    expect(await modeOf(path.join(e, 'build.sh'))).toBe(0o755);

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(await modeOf(path.join(r, 'build.sh'))).toBe(0o755);
    expect(await conflictCopies(r)).toEqual([]);
  });
});

describe('upstream: a private directory made on R', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'readme.txt'), 'hello\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('stays private on E and on R after the round trip', async () => {
    await mkdir(path.join(r, 'private'), { mode: 0o700 });
    await chmod(path.join(r, 'private'), 0o700);
    await writeFile(path.join(r, 'private/notes.txt'), 'secret\n');
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await modeOf(path.join(e, 'private'))).toBe(0o700);

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'private'))).toBe(0o700);
    await expectSameTree(r, e);
  });
});
