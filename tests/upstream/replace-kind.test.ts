// R replaces a file it received from E with a directory of the same name: --update-upstream stages
// one entry for that path (the directory, from the file as its base) plus the files inside it,
// the apply makes the directory on E with E's file kept in the backup, and R then converges.
// Before, the file's deletion and the directory's creation went as two entries for one path and
// the daemon aborted every such session. The reverse (a received directory replaced by a file)
// is held back with a clear line, while R's other edits still go upstream.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: a received file replaced by a directory on R', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'notes'), 'E wrote this as a file\n');
      await writeFile(path.join(e, 'other.txt'), 'untouched\n');
    }));
    await expectSameTree(r, e);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('--update-upstream stages the directory and its file, not a deletion beside them', async () => {
    const eBefore = await treeDigest(e);
    await rm(path.join(r, 'notes'));
    await mkdir(path.join(r, 'notes'));
    await writeFile(path.join(r, 'notes/a'), 'x\n');

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(1 added, 0 modified, 0 deleted, 1 directory created; 0 conflicts\)/);
    stagingId = stagingIdFrom(result.stdout);
    expect(await treeDigest(e)).toEqual(eBefore);
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'complete', file_count: 2 })]);
  });

  it('apply makes the directory on E and keeps E’s file in the backup', async () => {
    const result = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(path.join(e, 'notes'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(e, 'notes/a'), 'utf8')).toBe('x\n');
    const backupDir = path.join(daemon.stateDir, 'zync-backups', stagingId);
    expect(result.stdout).toContain(`backed up under ${backupDir}`);
    expect(await readFile(path.join(backupDir, 'docs/notes'), 'utf8')).toBe('E wrote this as a file\n');
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'applied' })]);
  });

  it('R then receives it as ordinary changes and has nothing left to send', async () => {
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/0 conflict\(s\)/);
    await expectSameTree(r, e);
    expect(await conflictCopies(r)).toEqual([]);
    expect(await conflictCopies(e)).toEqual([]);

    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Nothing to send upstream/);
  });
});

describe('upstream: a received file replaced by a directory on R while E edited the file', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'notes'), 'version 1\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is a conflict (E’s file is not the one R replaced); taking R’s keeps E’s edit in the backup', async () => {
    await rm(path.join(r, 'notes'));
    await mkdir(path.join(r, 'notes'));
    await writeFile(path.join(r, 'notes/a'), 'x\n');
    await writeFile(path.join(e, 'notes'), 'version 2, edited on E\n');
    await waitForDaemonToSee(daemon, 'docs', e);

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\(1 added, 0 modified, 0 deleted, 1 directory created; 1 conflict\)/);
    expect(result.stdout).toMatch(/conflict: docs\/notes \(E changed it too\)/);
    const stagingId = stagingIdFrom(result.stdout);

    const refused = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(await readFile(path.join(e, 'notes'), 'utf8')).toBe('version 2, edited on E\n');

    const forced = await runApply(daemon, ['apply', stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(path.join(e, 'notes/a'), 'utf8')).toBe('x\n');
    const backupDir = path.join(daemon.stateDir, 'zync-backups', stagingId);
    expect(await readFile(path.join(backupDir, 'docs/notes'), 'utf8')).toBe('version 2, edited on E\n');

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(await conflictCopies(r)).toEqual([]);
  });
});

describe('upstream: a received directory replaced by a file on R', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'drafts/old'), { recursive: true });
      await writeFile(path.join(e, 'drafts/one.txt'), 'one\n');
      await writeFile(path.join(e, 'drafts/old/two.txt'), 'two\n');
      await writeFile(path.join(e, 'other.txt'), 'E\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is held back with one clear line, and R’s other edits still go upstream', async () => {
    const eBefore = await treeDigest(e);
    await rm(path.join(r, 'drafts'), { recursive: true });
    await writeFile(path.join(r, 'drafts'), 'now a file\n');
    await writeFile(path.join(r, 'other.txt'), 'edited on R\n');

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Not sent: docs\/drafts — R replaced this directory with a file, which zync cannot stage on E yet \(4 changes held back\)\./m);
    expect(result.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(result.stdout), '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readFile(path.join(e, 'other.txt'), 'utf8')).toBe('edited on R\n');
    const eAfter = await treeDigest(e);
    expect({ ...eAfter, 'other.txt': undefined }).toEqual({ ...eBefore, 'other.txt': undefined });
  });
});
