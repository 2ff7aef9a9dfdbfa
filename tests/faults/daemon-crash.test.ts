// kill -9 of the daemon in the middle of a burst of 5,000 changes on E (creates, modifies and
// deletes, from a seeded PRNG so a failure replays exactly) while a continuous client follows.
// The rest of the burst happens while the daemon is down; it is restarted on the same database
// and port. Once E is quiet: the log replays to exactly E's tree (nothing lost, nothing invented
// by the torn run) and R converges to E byte for byte by itself (the client reconnects and
// resumes; no conflict copies, no temp files).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  expectSameTree,
  findTempFiles,
  sameTree,
  startDaemon,
  tempDir,
  treeDigest,
  waitFor,
  type DaemonHandle,
  type SpawnedCli,
} from '../helpers/index.js';
import { conflictCopies, spawnClient, stateDb, writeTree, type ClientSetup } from '../client/support.js';
import { comparable, fetchLog, replayLog, seededRandom, treeDifference } from '../daemon/daemon-helpers.js';

const BURST = 5000;
const KILL_AT = 2000;
const SEED = Number(process.env.ZYNC_FAULT_SEED ?? 20240605);

describe('zync-daemon killed with SIGKILL during a 5,000-change burst', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeTree(e, 300, 20);
    // At debug, every batch's "logged N change(s)" line is said as it is logged (at info, those
    // within 10 s of the start-up scan's are summed later, after the kill).
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: ['--log-level', 'debug'] });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    client = spawnClient(setup, ['--interval', '2']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('restarts on the same database, logs exactly E\'s tree, and R converges byte for byte', async () => {
    const random = seededRandom(SEED);
    const files = Object.entries(await treeDigest(e)).filter(([, t]) => t.kind === 'file').map(([p]) => p);
    const ops = { create: 0, modify: 0, delete: 0, dirDelete: 0 };
    let killed: Promise<number | string> | null = null;
    const before = daemon.stderr().length;
    for (let i = 0; i < BURST; i++) {
      if (i === KILL_AT) killed = daemon.kill9();
      const roll = random();
      if (roll < 0.4 || files.length < 50) {
        const dir = `burst/b${Math.floor(random() * 30)}`;
        const rel = `${dir}/n${i}.txt`;
        await mkdir(path.join(e, dir), { recursive: true });
        await writeFile(path.join(e, rel), `created ${i} ${random()}\n`.repeat(1 + Math.floor(random() * 50)));
        files.push(rel);
        ops.create++;
      } else if (roll < 0.75) {
        const rel = files[Math.floor(random() * files.length)]!;
        await writeFile(path.join(e, rel), `modified ${i} ${random()}\n`);
        ops.modify++;
      } else if (roll < 0.995) {
        const rel = files.splice(Math.floor(random() * files.length), 1)[0]!;
        await rm(path.join(e, rel));
        ops.delete++;
      } else {
        // Now and then a whole burst directory goes at once.
        const dir = `burst/b${Math.floor(random() * 30)}`;
        await rm(path.join(e, dir), { recursive: true, force: true });
        for (let j = files.length - 1; j >= 0; j--) if (files[j]!.startsWith(`${dir}/`)) files.splice(j, 1);
        ops.dirDelete++;
      }
    }
    expect(await killed).toBe('SIGKILL');
    const loggedBeforeKill = [...daemon.stderr().slice(before).matchAll(/logged (\d+) change\(s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
    console.log(
      `burst: ${BURST} changes (${ops.create} creates, ${ops.modify} modifies, ${ops.delete} deletes, ${ops.dirDelete} directory removals, seed ${SEED}); ` +
        `the daemon had logged ${loggedBeforeKill} entries when it was killed at change ${KILL_AT}`,
    );
    expect(loggedBeforeKill, 'the kill came before the daemon logged anything of the burst').toBeGreaterThan(0);

    daemon = await startDaemon({ dirs: { docs: e }, db: daemon.db, port: daemon.port });
    const probe = await connect(daemon.url, daemon.token);
    try {
      let difference = '';
      await waitFor(
        async () => {
          difference = treeDifference(replayLog(await fetchLog(probe), 'docs'), comparable(await treeDigest(e)));
          return difference === '';
        },
        { timeoutMs: 30_000, what: 'the replayed log to equal E' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${difference}`);
      });
    } finally {
      await probe.close();
    }
    await waitFor(() => sameTree(r, e), { timeoutMs: 45_000, what: 'R to converge after the restart' });
    await expectSameTree(r, e);
    expect(client.proc.exitCode, client.stderr()).toBeNull();
    expect(await conflictCopies(r)).toEqual([]);
    expect(await findTempFiles(r)).toEqual([]);
  });
});
