// zync-client's progress display on a pull or an upload that takes more than a second (through a
// link with 300 ms each way, a --once pass holds at least three round trips, an upload of 24 files
// at 8 in flight three; an upload's scan, which follows the connecting, is held): log lines when
// asked for with --progress and stderr is not a terminal,
// nothing when not asked, and on a terminal (a pseudo-terminal from `script`) one status line
// redrawn in place and cleared before the summary.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, expectSameTree, REPO_ROOT, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, runClientOnce, stateDb, writeTree, type ClientSetup } from './support.js';

const FILES = 300;

describe('zync-client progress', () => {
  let e: string;
  let daemon: DaemonHandle;
  let proxy: TcpProxy;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    await writeTree(e, FILES);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 300 });
  });
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  /** A fresh R and client database, reached through the slow link. */
  function freshReplica(): { r: string; setup: ClientSetup } {
    const r = tempDir('zync-r-');
    return { r, setup: { daemon: { ...daemon, url: proxy.url }, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') } };
  }

  it('with --progress and no terminal, logs where the pull stands before its summary', async () => {
    const { r, setup } = freshReplica();
    const result = await runClientOnce(setup, ['--progress']);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    const lines = result.stderr.split('\n');
    const progress = lines.findIndex((line) => /INFO.*pulling: [\d,]+ files? received \([\d.]+ MiB\)/.test(line));
    const summary = lines.findIndex((line) => /resync: \d+ file\(s\) downloaded/.test(line));
    expect(progress, result.stderr).toBeGreaterThanOrEqual(0);
    expect(progress).toBeLessThan(summary);
    expect(lines[progress]).toMatch(/log \d+% applied \([\d,]+ of [\d,]+ entries\)/);
    expect(result.stderr).not.toContain('\r');
  });

  it('shows nothing when not asked and stderr is not a terminal', async () => {
    const { r, setup } = freshReplica();
    const result = await runClientOnce(setup);
    expect(result.code, result.stderr).toBe(0);
    await expectSameTree(r, e);
    expect(result.stderr).not.toContain('pulling:');
  });

  it('on a terminal, redraws one status line in place and clears it before the summary', async () => {
    const { r, setup } = freshReplica();
    const command = [process.execPath, BIN.client, ...clientArgs(setup, ['--once'])].map(shellQuote).join(' ');
    // script(1) runs the command on a pseudo-terminal and copies what it prints to stdout.
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ZYNC_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    await expectSameTree(r, e);
    expect(output).toMatch(/\rpulling: [\d,]+ files? received .*\x1b\[K/);
    // Cleared (carriage return, erase line) right before the summary is logged.
    expect(output).toMatch(/\r\x1b\[K[^\r\n]*resync: \d+ file\(s\) downloaded/);
  });

  it('with --update-upstream --progress, logs the scan of R, the hashing of R’s changes, then how much of the upload E has taken', async () => {
    const { setup, r } = freshReplica();
    expect((await runClientOnce(setup)).code).toBe(0);
    for (let i = 0; i < 24; i++) await writeFile(path.join(r, `from-r-${i}.txt`), `R's note ${i}\n`.repeat(1000));
    // Scanning and hashing take milliseconds here, after connecting: the scan is held on R's
    // .zyncignore, a FIFO it reads first, until its line is out; each later phase then shows at once.
    const ignoreFile = path.join(r, '.zyncignore');
    execFileSync('mkfifo', [ignoreFile]);
    const client = spawnCli('client', clientArgs(setup, ['--update-upstream', '--progress']));
    await waitFor(() => /INFO.*scanning R: /.test(client.stderr()), { what: 'the scan’s progress line' });
    closeSync(openSync(ignoreFile, 'w')); // R's ignore rules: none
    expect(await client.exited, client.stderr()).toBe(0);
    const stderr = client.stderr();
    const hashedAt = stderr.search(/INFO.*checking R's changes: \d+ of 24 files hashed · [\d.]+ of 0\.3 MiB/);
    const sendingAt = stderr.search(/INFO.*sending upstream: \d+ of 24 changes · [\d.]+ of [\d.]+ MiB/);
    expect(hashedAt, stderr).toBeGreaterThan(stderr.search(/INFO.*scanning R: /));
    expect(sendingAt, stderr).toBeGreaterThan(hashedAt);
    expect(client.stdout()).toMatch(/Staged 24 changes upstream/);
  });
});

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}
