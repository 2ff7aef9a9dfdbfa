// Clocks that disagree by hours between E and R. One side's processes run with their wall clock
// shifted by 5 hours (clock-shift.mjs via NODE_OPTIONS), and the files that side writes carry
// mtimes from that clock — so R's edits can look hours *older* than what E sent (or E's changes
// older than what R holds), and E may move a file's mtime backwards. Sync, conflict detection
// (R edited + E modified -> R's version kept as a conflict copy) and upstream + apply still
// behave: zync compares stats for equality and content by checksum, never clocks across machines.
// And E's clock stepping back an hour while the daemon runs does not hold the watcher's pending
// events for that hour (it settles them on a monotonic clock).
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, runCli, sameTree, startDaemon, tempDir, waitFor, writeText, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, conflictCopies, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { stagingIdFrom } from '../upstream/support.js';

const HOUR = 3600_000;
const PRELOAD = pathToFileURL(path.join(import.meta.dirname, 'clock-shift.mjs')).href;

const shiftedEnv = (shiftMs: number): NodeJS.ProcessEnv =>
  shiftMs === 0 ? {} : { NODE_OPTIONS: `--import=${PRELOAD}`, ZYNC_CLOCK_SHIFT_MS: String(shiftMs) };

describe.each([
  { name: "E's clock is 5 h ahead of R's", eShift: 5 * HOUR, rShift: 0 },
  { name: "R's clock is 5 h ahead of E's", eShift: 0, rShift: 5 * HOUR },
])('$name', ({ eShift, rShift }) => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  /** Writes a file as that machine would: its mtime comes from that machine's clock. */
  const writeOn = async (side: 'E' | 'R', rel: string, content: string, mtimeOffset = 0) => {
    const file = path.join(side === 'E' ? e : r, rel);
    await writeText(file, content);
    const when = new Date(Date.now() + (side === 'E' ? eShift : rShift) + mtimeOffset);
    await utimes(file, when, when);
  };
  const clientOnce = () => runCli('client', clientArgs(setup, ['--once']), { env: shiftedEnv(rShift), timeoutMs: 60_000 });
  const read = (root: string, rel: string) => readFile(path.join(root, rel), 'utf8');

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'sub/d.txt']) await writeOn('E', name, `${name} v1 from E\n`);
    daemon = await startDaemon({ dirs: { docs: e }, env: shiftedEnv(eShift) });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("the daemon runs on E's clock", async () => {
    const raw = await connect(daemon.url, daemon.token);
    const ping = await raw.request('PING');
    await raw.close();
    expect(Math.abs((ping.server_time as number) - Date.now() - eShift)).toBeLessThan(60_000);
  });

  it('the first sync converges and carries E\'s mtimes as values', async () => {
    const result = await clientOnce();
    expect(result.code, result.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
    expect(Math.round((await stat(path.join(r, 'a.txt'))).mtimeMs)).toBe(Math.round((await stat(path.join(e, 'a.txt'))).mtimeMs));
  });

  it('R edited + E modified the same file: R\'s edit is kept as a conflict copy, whatever the mtimes say', async () => {
    // Same length as before: only the stat (not the size) tells R's edit apart.
    await writeOn('R', 'a.txt', 'a.txt v1 from R\n');
    await writeOn('E', 'a.txt', 'a.txt v2 from E, longer\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await clientOnce();
    expect(result.code, result.stderr).toBe(0);
    expect(await read(r, 'a.txt')).toBe('a.txt v2 from E, longer\n');
    const copies = await conflictCopies(r);
    expect(copies).toHaveLength(1);
    // The copy is named by R's clock (the client's shifted one).
    const stamp = /^a\.zync-conflict-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-R\.txt$/.exec(copies[0]!);
    expect(stamp).not.toBeNull();
    const [, y, mo, d, h, mi, se] = stamp!.map(Number);
    expect(Math.abs(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!) - Date.now() - rShift)).toBeLessThan(120_000);
    expect(await read(r, copies[0]!)).toBe('a.txt v1 from R\n');
  });

  it('E moving an mtime backwards still propagates; R\'s untouched files simply follow', async () => {
    await writeOn('E', 'b.txt', 'b.txt v2 from E\n', -3 * HOUR);
    await waitForDaemonToSee(daemon, 'docs', e);
    const result = await clientOnce();
    expect(result.code, result.stderr).toBe(0);
    expect(await read(r, 'b.txt')).toBe('b.txt v2 from E\n');
    expect(await conflictCopies(r)).toHaveLength(1);
  });

  it('R\'s edits survive a downstream pass, go upstream, are applied on E and come back as ordinary changes', async () => {
    await writeOn('R', 'c.txt', 'c.txt v2 from R\n', -8 * HOUR);
    await writeOn('R', 'new-on-r.txt', 'made on R\n');
    const pass = await clientOnce();
    expect(pass.code, pass.stderr).toBe(0);
    expect(await read(r, 'c.txt')).toBe('c.txt v2 from R\n');

    const up = await runCli('client', clientArgs(setup, ['--update-upstream']), { env: shiftedEnv(rShift) });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Staged 2 changes upstream as session \S+ \(1 added, 1 modified, 0 deleted; 0 conflicts\)/);
    const applied = await runCli('apply', ['--db', daemon.db, 'apply', stagingIdFrom(up.stdout), '--non-interactive'], { env: shiftedEnv(eShift) });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await read(e, 'c.txt')).toBe('c.txt v2 from R\n');
    expect(await read(e, 'new-on-r.txt')).toBe('made on R\n');

    await writeFile(path.join(e, 'sub/d.txt'), 'sub/d.txt v2 from E\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const back = await clientOnce();
    expect(back.code, back.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
    expect(await conflictCopies(r)).toHaveLength(1);
  });
});

describe("E's clock steps back an hour while the daemon runs", () => {
  it('changes pending at the step are still logged and reach R within seconds', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeText(path.join(e, 'busy.log'), 'start\n');
    const daemon = await startDaemon({ dirs: { docs: e }, env: { NODE_OPTIONS: `--import=${PRELOAD}`, ZYNC_CLOCK_JUMP_MS: String(-HOUR) } });
    try {
      // A file being written continuously always has an event waiting to settle; the clock steps
      // back in the middle of that.
      let n = 0;
      const writer = setInterval(() => void writeFile(path.join(e, 'busy.log'), `line ${n++}\n`), 20);
      await waitFor(() => n >= 25, { what: 'the writer to get going' });
      daemon.proc.kill('SIGUSR2');
      const atStep = n;
      await waitFor(() => n >= atStep + 25, { what: 'more writes after the step' });
      clearInterval(writer);
      await writeFile(path.join(e, 'busy.log'), 'final\n');
      await writeFile(path.join(e, 'after-step.txt'), 'written after the step\n');
      await waitForDaemonToSee(daemon, 'docs', e, 10_000);
      const setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      const result = await runCli('client', clientArgs(setup, ['--once']));
      expect(result.code, result.stderr).toBe(0);
      expect(await sameTree(r, e)).toBe(true);
    } finally {
      await daemon.stop();
    }
  });
});
