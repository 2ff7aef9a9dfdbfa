// The hand-off between zync versions: a running client (a service) and the one-shot
// `--update-upstream` need not be of the same build. A newer service may send line types this
// one-shot does not know: informational ones are skipped, and the upload's outcome is still its
// own. A line of a known type it cannot read, or a request of a hand-off protocol the service does
// not speak, is another version's: said so in one sentence (exit 5), nothing taken for success. A
// request type the service does not know gets a defined answer (UNKNOWN_OPERATION), which the
// one-shot turns into "restart the service"; an error code the one-shot does not know is said in
// the service's own words (exit 1).
// The "newer service" is a small script holding the state's lock and answering on `<db>.sock`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeText, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, syncedPair, type ClientSetup } from '../client/support.js';
import { listSessions, runUpstream } from './support.js';

const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe('upstream: the hand-off between zync versions', () => {
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let service: ChildProcess | undefined;
  let client: SpawnedCli | undefined;
  const socket = () => `${setup.db}.sock`;

  /** A process named zync-client that holds the state's lock and answers each request with `answer`. */
  async function fakeService(answer: readonly object[]): Promise<ChildProcess> {
    const script = `
      const { createServer } = require('node:net');
      const [path, answer] = process.argv.slice(1);
      createServer((c) => c.once('data', () => c.end(answer))).listen(path, () => process.stdout.write('up\\n'));`;
    const text = answer.map((line) => `${JSON.stringify(line)}\n`).join('');
    const started = spawn(process.execPath, ['-e', script, socket(), text, 'zync-client'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => started.stdout!.once('data', resolve));
    await writeFile(`${setup.db}.lock`, `${started.pid}\n`);
    return started;
  }

  beforeAll(async () => {
    ({ r, daemon, setup } = await syncedPair(async (e) => writeText(path.join(e, 'a.txt'), 'from E\n')));
  });
  afterEach(async () => {
    service?.kill('SIGKILL');
    service = undefined;
    await client?.stop('SIGKILL');
    client = undefined;
    await rm(`${setup.db}.lock`, { force: true });
    await rm(socket(), { force: true });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("skips a newer service's informational lines it does not know, and reports the outcome as its own", async () => {
    service = await fakeService([
      { operation: 'NOTE', text: 'a line type of a later zync' },
      { operation: 'PRINT', line: 'Staged 1 change upstream as session S1 (1 file; 0 conflicts).' },
      { operation: 'DONE', status: 'ok' },
    ]);
    const sent = await runUpstream(setup);
    // Before: exit 5, "sent a message of an unknown shape".
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe('Staged 1 change upstream as session S1 (1 file; 0 conflicts).\n');
  });

  it('says a known line it cannot read comes from another version of zync-client: exit 5', async () => {
    service = await fakeService([{ operation: 'DONE', status: 'maybe' }]);
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(5);
    expect(lastLine(sent.stderr)).toBe(
      `zync-client: The running zync-client (pid ${service.pid}) sent a DONE line this zync-client cannot read: it is another version of zync; restart it (the service) with the same zync as this command, then run --update-upstream again.`,
    );
  });

  /** What the running client answers last to `request`, sent as a one-shot would. */
  async function ask(request: object): Promise<unknown> {
    const heard = await new Promise<string>((resolve, reject) => {
      const connection = createConnection(socket());
      let said = '';
      connection.on('data', (d: Buffer) => (said += d.toString()));
      connection.on('error', reject);
      connection.on('close', () => resolve(said));
      connection.write(`${JSON.stringify(request)}\n`);
    });
    return JSON.parse(heard.trim().split('\n').at(-1)!);
  }

  it('a running client answers a request type it does not know (a newer one-shot\'s) with UNKNOWN_OPERATION, saying to restart it', async () => {
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => existsSync(socket()) && /pull: /.test(client!.stderr()), { what: 'the running client to listen on its socket' });
    // Before: BAD_MESSAGE, "The hand-off socket got a message of an unknown shape (…)".
    expect(await ask({ operation: 'STATUS', pid: process.pid })).toEqual({
      operation: 'DONE',
      status: 'error',
      code: 'UNKNOWN_OPERATION',
      error: `The running zync-client (pid ${client.pid}) does not know the request "STATUS": it runs an older zync than this command; restart it (the service) with the same zync as this command, then run the command again.`,
    });
    // A request it knows, of a shape it cannot read (a later one-shot's progress mode).
    const upload = { operation: 'UPDATE_UPSTREAM', pid: process.pid, setup: { server: daemon.url, dirs: [{ name: 'docs', root: r }], token_sha256: '0'.repeat(64), ca_sha256: null }, new_disk: [], log_level: 'info' };
    expect(await ask({ ...upload, progress: 'json-lines' })).toEqual({
      operation: 'DONE',
      status: 'error',
      code: 'INCOMPATIBLE_PROTOCOL',
      error: `The running zync-client (pid ${client.pid}) cannot read this command's UPDATE_UPSTREAM request: it runs another version of zync; restart it (the service) with the same zync as this command, then run the command again.`,
    });
    // It still serves the next one-shot.
    expect((await runUpstream(setup)).code).toBe(0);
  });

  it('a refused one-shot still writing when refused, reading only after, gets the refusal (before: the connection was reset under it)', async () => {
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => existsSync(socket()) && /pull: /.test(client!.stderr()), { what: 'the running client to listen on its socket' });
    const request = {
      operation: 'UPDATE_UPSTREAM',
      protocol: 99,
      pid: process.pid,
      setup: { server: daemon.url, dirs: [{ name: 'docs', root: r }], token_sha256: '0'.repeat(64), ca_sha256: null },
      new_disk: [],
      log_level: 'info',
      progress: 'off',
    };
    // Refused at its first line, while more than a socket buffer of what follows is still on its way.
    const heard = await new Promise<string>((resolve) => {
      const connection = createConnection(socket());
      let said = '';
      connection.on('error', (err) => resolve(`error: ${err.message}`));
      connection.on('close', () => resolve(said));
      connection.write(`${JSON.stringify(request)}\n`);
      connection.write(Buffer.alloc(4 * 1024 * 1024, ' '), () => connection.on('data', (d: Buffer) => (said += d.toString())));
    });
    expect(heard).toBe(
      `${JSON.stringify({
        operation: 'DONE',
        status: 'error',
        code: 'INCOMPATIBLE_PROTOCOL',
        error: `The running zync-client (pid ${client.pid}) speaks hand-off protocol 1, and this command 99 only; restart it (the service) with the same zync as this command, then run --update-upstream again.`,
      })}\n`,
    );
    expect(client.proc.exitCode).toBeNull();
  });

  it('a one-shot told its request is unknown says the service is older and is to be restarted: exit 5', async () => {
    service = await fakeService([{ operation: 'DONE', status: 'error', code: 'UNKNOWN_OPERATION', error: 'The running zync-client (pid 1) does not know the request "X".' }]);
    const sent = await runUpstream(setup);
    // Before: exit 1, the service's sentence, which cannot say it is the older one.
    expect(sent.code, sent.stderr).toBe(5);
    expect(lastLine(sent.stderr)).toBe(
      `zync-client: The running zync-client (pid ${service.pid}) runs an older zync, which does not know what this command asks of it (a service not restarted after an upgrade); restart it (the service) with the same zync as this command, then run --update-upstream again.`,
    );
  });

  it("reports a newer service's error of a code it does not know with the service's own sentence: exit 1", async () => {
    service = await fakeService([{ operation: 'DONE', status: 'error', code: 'QUOTA_EXCEEDED', error: "E's staging area is over its quota; discard old sessions on E." }]);
    const sent = await runUpstream(setup);
    // Before: exit 5, "sent a DONE line this zync-client cannot read".
    expect(sent.code, sent.stderr).toBe(1);
    expect(lastLine(sent.stderr)).toBe("zync-client: E's staging area is over its quota; discard old sessions on E.");
  });

  it('a running client refuses a request of a hand-off protocol it does not speak: exit 5, nothing sent', async () => {
    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => existsSync(socket()) && /pull: /.test(client!.stderr()), { what: 'the running client to listen on its socket' });
    await writeText(path.join(r, 'not-sent.txt'), 'R edit\n');
    const before = (await listSessions(daemon)).length;
    // What a later one-shot, speaking protocol 99 only, would ask.
    const request = {
      operation: 'UPDATE_UPSTREAM',
      protocol: 99,
      pid: process.pid,
      setup: { server: daemon.url, dirs: [{ name: 'docs', root: r }], token_sha256: '0'.repeat(64), ca_sha256: null },
      new_disk: [],
      log_level: 'info',
      progress: 'off',
    };
    expect(await ask(request)).toEqual({
      operation: 'DONE',
      status: 'error',
      code: 'INCOMPATIBLE_PROTOCOL',
      error: `The running zync-client (pid ${client.pid}) speaks hand-off protocol 1, and this command 99 only; restart it (the service) with the same zync as this command, then run --update-upstream again.`,
    });
    expect(await listSessions(daemon)).toHaveLength(before);
    await rm(path.join(r, 'not-sent.txt'));
  });
});
