// Ctrl-C (SIGINT) or SIGTERM during zync-client --update-upstream: the first signal cancels the
// upload. The client exits non-zero with one sentence (3, as for any run stopped before it was
// done), never finalizes the session, so the daemon aborts it when the connection closes and
// removes its staged bytes; nothing is appliable, and R's files are untouched.
// The same signals during zync-apply apply end it between two entries, as a quit at a prompt
// does: exit 9 with one sentence, no temp file in E's tree, no lock left; run again, it continues.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTempFiles, sha256File, spawnCli, waitFor, writeRandomFile, writeText, type DaemonHandle } from '../helpers/index.js';
import { spawnClient, syncedPair, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const stagingRoot = (daemon: DaemonHandle) => path.join(daemon.stateDir, 'zync-staging');

async function stagedSessionDirs(daemon: DaemonHandle): Promise<string[]> {
  try {
    return await readdir(stagingRoot(daemon));
  } catch {
    return [];
  }
}

describe('upstream: a signal during --update-upstream or zync-apply apply', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeText(path.join(e, 'small.txt'), 'from E\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s cancels the upload: exit 3, no appliable session, nothing staged', async (signal) => {
    const big = path.join(r, `big-${signal}.bin`);
    await writeRandomFile(big, 200 * 1024 * 1024);
    const before = await sha256File(big);
    const sessionsBefore = (await listSessions(daemon)).length;
    const earlier = new Set(await stagedSessionDirs(daemon));

    const client = spawnClient(setup, ['--update-upstream']);
    // Staged bytes on E: the daemon holds an in-progress session that is receiving the file.
    const stagingId = await waitFor(
      async () => {
        for (const id of await stagedSessionDirs(daemon)) {
          if (!earlier.has(id) && (await readdir(path.join(stagingRoot(daemon), id)).catch(() => [])).length > 0) return id;
        }
        return null;
      },
      { intervalMs: 2, timeoutMs: 60_000, what: 'an upstream session receiving bytes' },
    );
    client.proc.kill(signal);

    const code = await client.exited;
    expect(code, client.stderr()).toBe(3);
    expect(client.stdout()).not.toMatch(/Staged .* upstream as session/);
    expect(client.stderr().trim().split('\n').at(-1)).toBe(
      'zync-client: Stopped before the upload finished; E keeps nothing of this attempt — run --update-upstream again.',
    );

    const sessions = await waitFor(
      async () => {
        const all = await listSessions(daemon);
        const ours = all.find((s) => s.staging_id === stagingId);
        return ours && ours.status !== 'in_progress' ? all : null;
      },
      { what: 'the session to be aborted' },
    );
    expect(sessions).toHaveLength(sessionsBefore + 1);
    expect(sessions.find((s) => s.staging_id === stagingId)).toMatchObject({
      status: 'aborted',
      reason: "R's upload was cut off before it finished (Ctrl-C, SIGTERM, or the connection dropped)",
    });
    expect(await listSessions(daemon, false)).toEqual([]);
    await waitFor(async () => !(await stagedSessionDirs(daemon)).includes(stagingId), { what: 'the staged bytes to be removed' });

    expect(await findTempFiles(r)).toEqual([]);
    expect(await sha256File(big)).toBe(before);
    await rm(big); // never synced, so no deletion goes upstream; later uploads need not carry it
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s during zync-apply apply stops it between entries: exit 9, nothing half done', async (signal) => {
    const dir = `many-${signal}`;
    const FILES = 80; // the rerun takes seconds to apply them; the signal comes after the first
    for (let i = 0; i < FILES; i++) await writeRandomFile(path.join(r, dir, `f${i}.bin`), 64 * 1024);
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    const stagingId = stagingIdFrom(sent.stdout);

    const apply = spawnCli('apply', ['--db', daemon.db, 'apply', stagingId, '--non-interactive']);
    await waitFor(async () => (await readdir(path.join(e, dir)).catch(() => [])).length > 0, { intervalMs: 2, what: "the first of R's files on E" });
    apply.proc.kill(signal);
    expect(await apply.exited, apply.stderr()).toBe(9);
    expect(apply.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^zync-apply: Stopped by ${signal}: session ${stagingId} is partly applied \\(.*; \\d+ left\\), and what was applied stays — run zync-apply --db ${daemon.db} apply ${stagingId} again to continue\\.$`)),
    ]);
    expect(await findTempFiles(e)).toEqual([]);
    expect(existsSync(`${daemon.db}.apply.lock`)).toBe(false);

    const again = await runApply(daemon, ['apply', stagingId, '--non-interactive']);
    expect(again.code, again.stderr).toBe(0);
    expect(await readdir(path.join(e, dir))).toHaveLength(FILES);
  });
});
