// zync-apply discard: a session E cannot or will not apply is dropped instead of staying pending
// forever, and R — which asks E where its sessions stand (UPSTREAM_STATUS) — sends those edits
// again in a new session, which applies R's content on E. Applied and unknown sessions are
// refused in one sentence (exit 6); a session refused for damaged staged content can be
// discarded and sent again; a discard cut short after its state change is completed by a re-run.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@zync/common';
import { connect } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

const exists = (p: string) => readdir(p).then(() => true, () => false);

async function pairWithStagedEdits() {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'a.txt'), 'base a\n');
    await writeFile(path.join(e, 'gone.txt'), 'base gone\n');
  });
  await writeFile(path.join(pair.r, 'a.txt'), 'R a\n');
  await writeFile(path.join(pair.r, 'new.txt'), 'R new\n');
  await rm(path.join(pair.r, 'gone.txt'));
  const staged = await runUpstream(pair.setup);
  expect(staged.code, staged.stderr).toBe(0);
  return { ...pair, id: stagingIdFrom(staged.stdout) };
}

describe('zync-apply discard', () => {
  it('drops a pending session; R sends its edits again, and applying them lands R’s content on E', async () => {
    const s = await pairWithStagedEdits();
    try {
      const blobs = path.join(s.daemon.stateDir, 'zync-staging', s.id);
      expect(await exists(blobs)).toBe(true);
      const waiting = await runUpstream(s.setup);
      expect(waiting.stdout).toContain(`Nothing new to send upstream: 3 changes are already staged in ${s.id}, waiting for zync-apply on E.`);

      const discarded = await runApply(s.daemon, ['discard', s.id, '--non-interactive']);
      expect(discarded.code, discarded.stderr).toBe(0);
      expect(discarded.stdout).toContain(`Discarded session ${s.id} (3 changes); its staged content is removed.`);
      expect(await exists(blobs)).toBe(false);
      expect((await listSessions(s.daemon, false)).map((x) => x.staging_id)).not.toContain(s.id);
      expect((await listSessions(s.daemon, true)).find((x) => x.staging_id === s.id)?.status).toBe('discarded');
      const refused = await runApply(s.daemon, ['apply', s.id, '--non-interactive']);
      expect(refused.code).toBe(6);
      expect(refused.stderr).toMatch(/was discarded on .* and cannot be applied/);

      // A discard cut short after its state change (staged files still there) is finished by a re-run.
      await mkdir(blobs, { recursive: true });
      await writeFile(path.join(blobs, '1'), 'left\n');
      const again = await runApply(s.daemon, ['discard', s.id, '--non-interactive']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`Session ${s.id} was discarded already; its staged content is removed.`);
      expect(await exists(blobs)).toBe(false);

      const resent = await runUpstream(s.setup);
      expect(resent.code, resent.stderr).toBe(0);
      expect(resent.stdout).toContain(`Session ${s.id} was discarded on E: its 3 changes are sent again if R still holds them.`);
      expect(resent.stdout).toMatch(/Staged 3 changes upstream as session \S+ \(1 added, 1 modified, 1 deleted; 0 conflicts\)\./);
      const newer = stagingIdFrom(resent.stdout);
      expect(newer).not.toBe(s.id);

      const applied = await runApply(s.daemon, ['apply', newer, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'a.txt'), 'utf8')).toBe('R a\n');
      expect(await readFile(path.join(s.e, 'new.txt'), 'utf8')).toBe('R new\n');
      await expect(readFile(path.join(s.e, 'gone.txt'))).rejects.toThrow(/ENOENT/);

      // Applied, not yet pulled: not staged a second time.
      const after = await runUpstream(s.setup);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain(`Nothing new to send upstream: 3 changes applied on E in ${newer} reach R at its next pull.`);
    } finally {
      await s.daemon.stop();
    }
  });

  it('refuses an applied session and an unknown id in one sentence (exit 6)', async () => {
    const s = await pairWithStagedEdits();
    try {
      const applied = await runApply(s.daemon, ['apply', s.id, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      const refused = await runApply(s.daemon, ['discard', s.id, '--non-interactive']);
      expect(refused.code).toBe(6);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(new RegExp(`^zync-apply: Session ${s.id} was applied on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d; an applied session cannot be discarded\\.$`, 'm'));
      expect((await listSessions(s.daemon, true)).find((x) => x.staging_id === s.id)?.status).toBe('applied');
      // Without a terminal and without --non-interactive too: not sent to try --non-interactive first.
      const piped = await runApply(s.daemon, ['discard', s.id]);
      expect(piped.code).toBe(6);
      expect(piped.stderr).toBe(refused.stderr);

      const unknown = await runApply(s.daemon, ['discard', 'no-such-session', '--non-interactive']);
      expect(unknown.code).toBe(6);
      expect(unknown.stderr.trim()).toBe(`zync-apply: There is no staging session no-such-session; run zync-apply --db ${s.daemon.db} list --all to see the sessions.`);
      const unknownPiped = await runApply(s.daemon, ['discard', 'no-such-session']);
      expect(unknownPiped.code).toBe(6);
      expect(unknownPiped.stderr).toBe(unknown.stderr);
    } finally {
      await s.daemon.stop();
    }
  });

  it('a session refused for damaged staged content can be discarded, and R sends its edits again', async () => {
    const s = await pairWithStagedEdits();
    try {
      const blobs = path.join(s.daemon.stateDir, 'zync-staging', s.id);
      const [first] = (await readdir(blobs)).sort();
      const damaged = path.join(blobs, first!);
      const bytes = await readFile(damaged);
      bytes[0] = bytes[0]! ^ 0x20;
      await writeFile(damaged, bytes);
      const refused = await runApply(s.daemon, ['apply', s.id, '--non-interactive']);
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain(`discard it with zync-apply --db ${s.daemon.db} discard ${s.id}, and R sends them again at its next --update-upstream.`);

      const discarded = await runApply(s.daemon, ['discard', s.id, '--non-interactive']);
      expect(discarded.code, discarded.stderr).toBe(0);
      const resent = await runUpstream(s.setup);
      expect(resent.code, resent.stderr).toBe(0);
      const newer = stagingIdFrom(resent.stdout);
      const applied = await runApply(s.daemon, ['apply', newer, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'a.txt'), 'utf8')).toBe('R a\n');
      expect(await readFile(path.join(s.e, 'new.txt'), 'utf8')).toBe('R new\n');
    } finally {
      await s.daemon.stop();
    }
  });

  it('asks on a terminal (no keeps the session), and refuses to go on without one unless --non-interactive', async () => {
    const s = await pairWithStagedEdits();
    try {
      const piped = await runApply(s.daemon, ['discard', s.id]);
      // As apply without a terminal refuses a session with conflicts: 6, not "bad arguments" (2).
      expect(piped.code).toBe(6);
      expect(piped.stderr).toContain(`zync-apply: Session ${s.id} was not discarded: discarding asks for confirmation on a terminal; run zync-apply --db ${s.daemon.db} discard ${s.id} in a terminal, or pass --non-interactive to discard without asking.`);

      const no = runInPty('apply', ['--db', s.daemon.db, 'discard', s.id]);
      await no.waitForText(`Discard session ${s.id} (3 changes from`);
      no.type('n\r');
      expect(await no.exited).toBe(9); // QUIT: not "discarded"
      expect(no.output()).toContain(`zync-apply: Session ${s.id} was not discarded: it was not confirmed at the prompt, and nothing was changed — run zync-apply --db ${s.daemon.db} discard ${s.id} again to discard it.`);
      expect((await listSessions(s.daemon, false)).map((x) => x.staging_id)).toContain(s.id);

      const yes = runInPty('apply', ['--db', s.daemon.db, 'discard', s.id]);
      // The prompt wraps at the terminal's width, where depends on R's host name in it.
      await yes.waitForText('(y/N)');
      expect(yes.output().replace(/\s*\n/g, ' ')).toContain('R sends these changes again at its next --update-upstream.');
      yes.type('y\r');
      expect(await yes.exited).toBe(0);
      expect(yes.output()).toContain(`Discarded session ${s.id}`);
      expect((await listSessions(s.daemon, true)).find((x) => x.staging_id === s.id)?.status).toBe('discarded');
    } finally {
      await s.daemon.stop();
    }
  });

  it('UPSTREAM_STATUS answers a client about its own sessions only, and only after HELLO', async () => {
    const s = await pairWithStagedEdits();
    const client = await connect(s.daemon.url, s.daemon.token);
    try {
      const early = await client.request('UPSTREAM_STATUS', { staging_ids: [s.id] });
      expect(early).toMatchObject({ status: 'error', code: 'HELLO_REQUIRED' });
      await client.request('HELLO', { client_id: 'someone-else', protocol: PROTOCOL_VERSION });
      const answer = await client.request('UPSTREAM_STATUS', { staging_ids: [s.id, 'no-such-session', s.id] });
      expect(answer).toMatchObject({
        status: 'ok',
        sessions: [
          { staging_id: s.id, state: 'unknown' },
          { staging_id: 'no-such-session', state: 'unknown' },
        ],
      });
      const bad = await client.request('UPSTREAM_STATUS', { staging_ids: [] });
      expect(bad).toMatchObject({ status: 'error', code: 'BAD_MESSAGE' });
    } finally {
      await client.close();
      await s.daemon.stop();
    }
  });

  it('list marks a session a later one from the same R supersedes', async () => {
    const s = await pairWithStagedEdits();
    try {
      await writeFile(path.join(s.r, 'a.txt'), 'R a v2\n');
      const second = await runUpstream(s.setup);
      expect(second.code, second.stderr).toBe(0);
      const newer = stagingIdFrom(second.stdout);
      const listed = await runApply(s.daemon, ['list']);
      expect(listed.stdout).toMatch(new RegExp(`^${s.id}\\s+complete, 1/3 superseded by ${newer}\\s`, 'm'));
      const json = (await listSessions(s.daemon, false)) as unknown as { staging_id: string; superseded_by?: string[] }[];
      expect(json.find((x) => x.staging_id === s.id)?.superseded_by).toEqual([newer]);
    } finally {
      await s.daemon.stop();
    }
  });
});
