// A file R rewrites in a loop (a log, a download in progress) while --update-upstream runs: the
// session is staged with R's other edits, the rewritten file is left out of it (nothing of what
// was uploaded for it stays on E), R keeps it as it is, one sentence names it and the client
// exits 11. Once R stops writing it, the next --update-upstream sends it. When it is the only
// change, no empty session is staged. (Before: FILE_CHANGED stopped every run, and none of R's
// other edits ever reached E.)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256File, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, type ClientSetup } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const LOG_BYTES = 4 * 1024 * 1024;

// Rewrites the file in place, without pause and never empty: every pass stamps its own counter
// over the whole file, so no two reads a few milliseconds apart see the same bytes.
const WRITER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'w');
const buf = Buffer.alloc(${LOG_BYTES});
const stamp = Buffer.alloc(4);
for (let i = 0; ; i++) {
  stamp.writeUInt32LE(i);
  buf.fill(stamp);
  fs.writeSync(fd, buf, 0, buf.length, 0);
  if (i === 0) process.stdout.write('ready\\n');
}
`;

let writer: ChildProcess | null = null;

async function startWriter(file: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  writer = child;
  await once(child.stdout!, 'data');
}

async function stopWriter(): Promise<void> {
  const child = writer;
  writer = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function stagedPaths(daemon: DaemonHandle, stagingId: string): Promise<string[]> {
  const shown = await runApply(daemon, ['show', stagingId, '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  return (JSON.parse(shown.stdout) as { entries: { path: string }[] }).entries.map((e) => e.path).sort();
}

const LEFT_OUT = 'zync-client: left out: docs/run.log changed while it was being sent; it goes with the next --update-upstream.\n';

describe('upstream: a file R rewrites while it is being sent', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'edit-me.txt'), 'version 1\n');
    await writeFile(path.join(e, 'delete-me.txt'), 'short-lived\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterEach(stopWriter);
  afterAll(async () => {
    await daemon?.stop();
  });

  it("stages R's other edits and leaves the rewritten file out, saying so with exit code 11", async () => {
    await writeFile(path.join(r, 'edit-me.txt'), 'version 2, edited on R\n');
    await writeFile(path.join(r, 'new.txt'), 'new on R\n');
    await rm(path.join(r, 'delete-me.txt'));
    await startWriter(path.join(r, 'run.log'));

    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(LEFT_OUT);
    expect(result.stdout).toMatch(/^Staged 3 changes upstream as session \S+ \(1 added, 1 modified, 1 deleted; 0 conflicts\)\.$/m);
    const stagingId = stagingIdFrom(result.stdout);

    expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: stagingId, status: 'complete', file_count: 3 })]);
    expect(await stagedPaths(daemon, stagingId)).toEqual(['delete-me.txt', 'edit-me.txt', 'new.txt']);
    // What arrived of run.log is gone from E: the two blobs of the session, and no temp file.
    expect(await readdir(path.join(daemon.stateDir, 'zync-staging', stagingId))).toHaveLength(2);
    // R keeps it as the writer left it.
    expect((await stat(path.join(r, 'run.log'))).size).toBe(LOG_BYTES);
  });

  it('sends the file with the next --update-upstream once R stops rewriting it', async () => {
    await stopWriter();
    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)\. Not sent again: 3 changes/m);
    const stagingId = stagingIdFrom(result.stdout);
    const shown = await runApply(daemon, ['show', stagingId, '--json']);
    const entries = (JSON.parse(shown.stdout) as { entries: { path: string; checksum: string }[] }).entries;
    expect(entries).toEqual([expect.objectContaining({ path: 'run.log', checksum: await sha256File(path.join(r, 'run.log')) })]);
  });

  it('stages no empty session when the rewritten file is the only change', async () => {
    const before = await listSessions(daemon);
    await startWriter(path.join(r, 'run.log'));
    const result = await runUpstream(setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(LEFT_OUT);
    expect(result.stdout).toMatch(/^Nothing staged upstream: every change was left out\./m);
    // The session opened for it is aborted on E and holds nothing; no new session waits.
    expect(await listSessions(daemon, false)).toEqual(before.filter((s) => s.status === 'complete'));
    const opened = await waitFor(async () => {
      const all = await listSessions(daemon);
      const extra = all.filter((s) => !before.some((b) => b.staging_id === s.staging_id));
      return extra.length === 1 && extra[0]!.status === 'aborted' ? extra[0]! : null;
    }, { what: 'the unfinalized session to be aborted' });
    await waitFor(async () => !(await readdir(path.join(daemon.stateDir, 'zync-staging'))).includes(opened.staging_id), {
      what: "the aborted session's staged bytes to be removed",
    });
  });
});
