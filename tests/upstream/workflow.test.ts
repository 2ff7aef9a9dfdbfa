// The full bidirectional workflow with the real binaries on 127.0.0.1: E -> R; R adds, edits and
// deletes files, makes an empty directory and removes a whole one; --update-upstream stages it (nothing on E changes); list / show; apply --force
// --non-interactive writes it to E with backups and records it in the change log; R receives it
// as ordinary changes without conflict copies; a further change on E reaches R; both trees end
// identical.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, expectSameTree, startDaemon, tempDir, treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: R -> E, reviewed and applied', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'readme.txt'), 'hello from E\n');
    await writeFile(path.join(e, 'edit-me.txt'), 'version 1\n');
    await writeFile(path.join(e, 'delete-me.txt'), 'short-lived\n');
    await mkdir(path.join(e, 'src'), { recursive: true });
    await writeFile(path.join(e, 'src/main.c'), 'int main(void) { return 0; }\n');
    await mkdir(path.join(e, 'old/deeper'), { recursive: true });
    await writeFile(path.join(e, 'old/a.txt'), 'old a\n');
    await writeFile(path.join(e, 'old/deeper/b.txt'), 'old b\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('E -> R: the first sync makes identical trees', async () => {
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
  });

  it('with no local edits, --update-upstream says there is nothing to send', async () => {
    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Nothing to send upstream/);
    expect(await listSessions(daemon)).toEqual([]);
  });

  it('refuses to send from another directory than the one R synced into (no mass deletion)', async () => {
    const result = await runUpstream({ ...setup, dirs: { docs: tempDir('zync-wrong-') } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /^zync-client: "docs" is synced into .+; pass the same --dirs as when syncing, or, if the directory was moved there, pull once with these --dirs first \(R's edits and deletions in it stay R's when it moved whole\)\. Nothing was sent\.$/m,
    );
    expect(await listSessions(daemon)).toEqual([]);
  });

  it('R adds, edits, deletes, makes and removes directories; --update-upstream stages it all without touching E', async () => {
    const eBefore = await treeDigest(e);
    await writeFile(path.join(r, 'edit-me.txt'), 'version 2, edited on R\n');
    await rm(path.join(r, 'delete-me.txt'));
    await writeFile(path.join(r, 'new-on-r.txt'), 'R made this\n');
    await mkdir(path.join(r, 'src/lib'), { recursive: true });
    await writeFile(path.join(r, 'src/lib/util.c'), 'int util(void) { return 1; }\n');
    await mkdir(path.join(r, 'empty-on-r'));
    await rm(path.join(r, 'old'), { recursive: true });

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /Staged 10 changes upstream as session \S+ \(2 added, 1 modified, 3 deleted, 2 directories created, 2 directories removed; 0 conflicts\)/,
    );
    stagingId = stagingIdFrom(result.stdout);
    expect(await treeDigest(e)).toEqual(eBefore);
  });

  it('content already staged in a pending session is not sent again', async () => {
    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Nothing new to send upstream: 10 changes are already staged in ${stagingId}`));
    expect((await listSessions(daemon)).map((s) => s.staging_id)).toEqual([stagingId]);
  });

  it('list --json shows the pending session', async () => {
    const sessions = await listSessions(daemon, false);
    expect(sessions).toEqual([
      expect.objectContaining({ staging_id: stagingId, status: 'complete', file_count: 10, conflict_count: 0 }),
    ]);
    expect(Date.parse(sessions[0]!.created)).not.toBeNaN();
  });

  it('show lists each entry with its operation and conflict state', async () => {
    const text = await runApply(daemon, ['show', stagingId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/edit-me\.txt\s+modify\s+\d+ B\s+ok: E unchanged since R's base/);
    expect(text.stdout).toMatch(/delete-me\.txt\s+delete\s+-/);
    expect(text.stdout).toMatch(/src\/lib\/util\.c\s+add/);
    expect(text.stdout).toMatch(/old\/deeper\/\s+delete\s+-\s+ok/);
    expect(text.stdout).toMatch(/empty-on-r\/\s+add\s+-\s+ok/);
    expect(text.stdout).not.toContain('\u001b['); // piped: plain text

    const json = await runApply(daemon, ['show', stagingId, '--dirs', `docs:${e}`, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const shown = JSON.parse(json.stdout) as { entries: { path: string; kind: string; operation: string; conflict: boolean }[] };
    expect(shown.entries.map((x) => [x.path, x.kind, x.operation, x.conflict]).sort()).toEqual([
      ['delete-me.txt', 'file', 'delete', false],
      ['edit-me.txt', 'file', 'modify', false],
      ['empty-on-r', 'dir', 'add', false],
      ['new-on-r.txt', 'file', 'add', false],
      ['old', 'dir', 'delete', false],
      ['old/a.txt', 'file', 'delete', false],
      ['old/deeper', 'dir', 'delete', false],
      ['old/deeper/b.txt', 'file', 'delete', false],
      ['src/lib', 'dir', 'add', false],
      ['src/lib/util.c', 'file', 'add', false],
    ]);
  });

  it('refuses a --dirs that disagrees with the daemon', async () => {
    const result = await runApply(daemon, ['show', stagingId, '--dirs', `docs:${r}`]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('apply --force --non-interactive writes R’s changes to E, with backups', async () => {
    const result = await runApply(daemon, ['apply', stagingId, '--force', '--non-interactive']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Applied session \S+: 3 written, 3 deleted, 2 directories created, 2 directories removed\./);
    const backupDir = path.join(daemon.stateDir, 'zync-backups', stagingId);
    expect(result.stdout).toContain(`backed up under ${backupDir}`);
    expect(await readFile(path.join(backupDir, 'docs/edit-me.txt'), 'utf8')).toBe('version 1\n');
    expect(await readFile(path.join(backupDir, 'docs/delete-me.txt'), 'utf8')).toBe('short-lived\n');

    await expectSameTree(e, r);
    expect(await exists(path.join(e, 'delete-me.txt'))).toBe(false);
    expect(await exists(path.join(e, 'old'))).toBe(false);
    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'applied' })]);
  });

  it('refuses to apply a session twice, or an unknown one', async () => {
    const again = await runApply(daemon, ['apply', stagingId, '--force', '--non-interactive']);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already applied/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    const unknown = await runApply(daemon, ['apply', 'no-such-session', '--non-interactive']);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toMatch(/no staging session no-such-session/);
  });

  it('an unknown session id gives the same sentence and exit status to show and apply', async () => {
    const results = await Promise.all([
      runApply(daemon, ['show', '999']),
      runApply(daemon, ['show', '999', '--json']),
      runApply(daemon, ['apply', '999', '--non-interactive']),
    ]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(6);
      expect(result.stderr).toBe(`zync-apply: There is no staging session 999; run zync-apply --db ${daemon.db} list --all to see the sessions.\n`);
    }
  });

  it('R receives the applied changes as ordinary changes, with no conflict copies', async () => {
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/0 conflict\(s\)/);
    expect(await conflictCopies(r)).toEqual([]);
    await expectSameTree(r, e);
  });

  it('a further change on E reaches R; the trees end identical and nothing is pending upstream', async () => {
    await writeFile(path.join(e, 'readme.txt'), 'hello again from E\n');
    await writeFile(path.join(e, 'src/lib/util.c'), 'int util(void) { return 2; }\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(await conflictCopies(r)).toEqual([]);
    expect(await conflictCopies(e)).toEqual([]);

    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toMatch(/Nothing to send upstream/);
  });
});
