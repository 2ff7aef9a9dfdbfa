// Another session applied while a run of zync-apply is under way: at a person's prompt, or while a
// run with no one to ask hashes its staged content. R's later session that went in meanwhile is
// never replaced by its older one (the rule two-sessions.test.ts holds for runs one after the
// other), and a run with no one to ask ends whole or refused with nothing changed — never half
// applied because another run went in between its look at E and its writes.
import { readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, sameTree, spawnCli, tempDir, waitFor, writeRandomFile, type SpawnedCli } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

const MiB = 1024 * 1024;

/** R's older session (a conflict on c.txt, asked first, and p.txt) and its later one with p.txt again (`later` null: none). */
async function olderAndLater(later: ((r: string) => Promise<void>) | null) {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'c.txt'), 'base\n');
    await writeFile(path.join(e, 'p.txt'), 'base\n');
  });
  await writeFile(path.join(pair.e, 'c.txt'), 'E edit\n');
  await writeFile(path.join(pair.r, 'c.txt'), 'R edit\n');
  await writeFile(path.join(pair.r, 'p.txt'), 'R v1\n');
  const first = await runUpstream(pair.setup);
  expect(first.code, first.stderr).toBe(0);
  if (later === null) return { ...pair, older: stagingIdFrom(first.stdout), later: '' };
  await later(pair.r);
  const second = await runUpstream(pair.setup);
  expect(second.code, second.stderr).toBe(0);
  return { ...pair, older: stagingIdFrom(first.stdout), later: stagingIdFrom(second.stdout) };
}

/** Applies the older session in a terminal; at its first prompt (c.txt) the later one is applied, then E's c.txt is kept. */
async function applyOlderAroundLater(s: Awaited<ReturnType<typeof olderAndLater>>): Promise<string> {
  const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.older]);
  try {
    const at = await term.waitForText('what should E keep?');
    const later = await runApply(s.daemon, ['apply', s.later, '--non-interactive']);
    expect(later.code, later.stderr).toBe(0);
    term.type(`e${KEY.enter}`);
    await term.waitForText('Applied session', at);
    expect(await term.exited).toBe(0);
    return term.output().slice(at);
  } finally {
    term.kill();
  }
}

/** True once the run has a file of its session's staged content open (it hashes it before writing). */
async function readsStaged(run: SpawnedCli, stagingId: string): Promise<boolean> {
  for (const fd of await readdir(`/proc/${run.pid}/fd`).catch(() => [])) {
    if ((await readlink(`/proc/${run.pid}/fd/${fd}`).catch(() => '')).includes(`zync-staging/${stagingId}/`)) return true;
  }
  return false;
}

/**
 * Runs `id` with `args` and holds it (SIGSTOP) while it hashes its staged content; `meanwhile` runs
 * then, and the held run goes on once `meanwhile` has exited or waits for the write turn.
 */
async function holdWhileHashing(s: { daemon: { db: string } }, id: string, args: readonly string[], meanwhile: () => SpawnedCli) {
  const run = spawnCli('apply', ['--db', s.daemon.db, 'apply', id, ...args]);
  run.proc.stdin!.end();
  let other: SpawnedCli | null = null;
  try {
    await waitFor(() => readsStaged(run, id), { what: 'the run to hash its staged content', intervalMs: 2 });
    process.kill(run.pid, 'SIGSTOP');
    other = meanwhile();
    other.proc.stdin!.end();
    const o = other;
    await waitFor(() => o.proc.exitCode !== null || o.stdout().includes('Waiting for another zync-apply'), { what: 'the other run to finish or wait for its turn' });
  } finally {
    process.kill(run.pid, 'SIGCONT');
  }
  return { run, runCode: await run.exited, other, otherCode: await other.exited };
}

describe("zync-apply: another session applied while a run is under way", () => {
  it("a person's run of R's older session leaves the file R's later session wrote meanwhile, and R keeps it", async () => {
    const s = await olderAndLater((r) => writeFile(path.join(r, 'p.txt'), 'R v2\n'));
    try {
      const shown = await applyOlderAroundLater(s);
      expect(shown).toContain(`Left docs/p.txt as R's later session ${s.later} made it.`);
      expect(shown).not.toContain('Conflict 2');
      expect(await readFile(path.join(s.e, 'p.txt'), 'utf8')).toBe('R v2\n');
      expect(await readFile(path.join(s.e, 'c.txt'), 'utf8')).toBe('E edit\n');

      await waitForDaemonToSee(s.daemon, 'docs', s.e);
      const pulled = await runClientOnce(s.setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(s.r, 'p.txt'), 'utf8')).toBe('R v2\n');
      expect((await conflictCopies(s.r)).filter((c) => c.startsWith('p.'))).toEqual([]);
    } finally {
      await s.daemon.stop();
    }
  });

  it('nor brings back a file R deleted in its later session, and E and R end the same', async () => {
    const s = await olderAndLater((r) => rm(path.join(r, 'p.txt')));
    try {
      const shown = await applyOlderAroundLater(s);
      expect(shown).toContain(`Left docs/p.txt as R's later session ${s.later} made it.`);
      expect(shown).not.toContain('Conflict 2');
      expect(await exists(path.join(s.e, 'p.txt'))).toBe(false);

      await waitForDaemonToSee(s.daemon, 'docs', s.e);
      const pulled = await runClientOnce(s.setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await sameTree(s.e, s.r)).toBe(true);
    } finally {
      await s.daemon.stop();
    }
  });

  it('counts a conflict E made at a prompt among the conflicts ("Conflict 2 of 2")', async () => {
    const s = await olderAndLater(null);
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.older]);
    try {
      let at = await term.waitForText('Conflict 1 of 1: docs/c.txt');
      at = await term.waitForText('what should E keep?', at);
      await writeFile(path.join(s.e, 'p.txt'), 'E edit meanwhile\n'); // p.txt, planned as no conflict, is one now
      term.type(`e${KEY.enter}`);
      at = await term.waitForText('Conflict 2 of 2: docs/p.txt', at);
      at = await term.waitForText('what should E keep?', at);
      term.type(`e${KEY.enter}`);
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
      await s.daemon.stop();
    }
    expect(await readFile(path.join(s.e, 'p.txt'), 'utf8')).toBe('E edit meanwhile\n');
  });

  it("--non-interactive --force of R's older session, held while it hashes, does not replace the later session's file", async () => {
    const pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'p.txt'), 'base\n');
    });
    try {
      await writeRandomFile(path.join(pair.r, 'big.bin'), 32 * MiB); // staged content that takes a while to hash
      await writeFile(path.join(pair.r, 'p.txt'), 'R v1\n');
      const first = await runUpstream(pair.setup);
      expect(first.code, first.stderr).toBe(0);
      await writeFile(path.join(pair.r, 'p.txt'), 'R v2\n');
      const second = await runUpstream(pair.setup);
      expect(second.code, second.stderr).toBe(0);
      const older = stagingIdFrom(first.stdout);
      const later = stagingIdFrom(second.stdout);

      const { run, runCode, other, otherCode } = await holdWhileHashing(pair, older, ['--non-interactive', '--force'], () =>
        spawnCli('apply', ['--db', pair.daemon.db, 'apply', later, '--non-interactive']),
      );
      expect(runCode, run.stderr()).toBe(0);
      expect(otherCode, other.stderr()).toBe(0);
      expect(await readFile(path.join(pair.e, 'p.txt'), 'utf8')).toBe('R v2\n');
    } finally {
      await pair.daemon.stop();
    }
  });

  it("--non-interactive without --force ends whole or refused, never half applied, when another R's session goes in", async () => {
    const pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'p.txt'), 'base\n');
    });
    const r2 = tempDir('zync-r2-');
    const setup2: ClientSetup = { daemon: pair.daemon, dirs: { docs: r2 }, db: path.join(tempDir('zync-r2state-'), 'sync_client.db') };
    try {
      expect((await runClientOnce(setup2)).code).toBe(0);
      await writeRandomFile(path.join(pair.r, 'a-big.bin'), 32 * MiB); // applied before p.txt
      await writeFile(path.join(pair.r, 'p.txt'), 'from R1\n');
      const a = await runUpstream(pair.setup);
      expect(a.code, a.stderr).toBe(0);
      await writeFile(path.join(r2, 'p.txt'), 'from R2\n');
      const b = await runUpstream(setup2);
      expect(b.code, b.stderr).toBe(0);
      const idA = stagingIdFrom(a.stdout);
      const idB = stagingIdFrom(b.stdout);

      const { run, runCode, other, otherCode } = await holdWhileHashing(pair, idA, ['--non-interactive'], () =>
        spawnCli('apply', ['--db', pair.daemon.db, 'apply', idB, '--non-interactive']),
      );
      // A looked at E before B went in: A goes in whole, and B, now in conflict with it, changes nothing.
      expect(runCode, run.stderr()).toBe(0);
      expect(await exists(path.join(pair.e, 'a-big.bin'))).toBe(true);
      expect(await readFile(path.join(pair.e, 'p.txt'), 'utf8')).toBe('from R1\n');
      expect(otherCode).toBe(6);
      expect(other.stderr()).toContain(`Session ${idB} has 1 conflict (first: docs/p.txt); nothing was changed`);
    } finally {
      await pair.daemon.stop();
    }
  });
});
