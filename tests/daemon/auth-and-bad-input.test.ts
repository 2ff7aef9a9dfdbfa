// The daemon's front door: a wrong or missing token is refused with HTTP 401 before a socket
// opens; every malformed, unknown, out-of-order, oversized or unsafe request gets an error with
// a stable code (or, for an oversized frame, a clean close), and the daemon keeps serving that
// connection and others. Nothing outside a root is ever read.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponse, HelloResponse, PingResponse, PROTOCOL_VERSION } from '@zync/common';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

let root: string;
let outside: string;
let daemon: DaemonHandle;
let client: RawClient;

beforeAll(async () => {
  root = tempDir();
  outside = tempDir();
  writeFileSync(path.join(outside, 'secret.txt'), 'not yours\n');
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub', 'secret.txt'), 'mine\n');
  writeFileSync(path.join(root, 'hello.txt'), 'hello\n');
  symlinkSync(outside, path.join(root, 'link-out'));
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'file-link'));
  daemon = await startDaemon({ dirs: { w: root } });
  client = await connect(daemon.url, daemon.token);
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop();
});

async function expectError(reply: Promise<Record<string, unknown>> | Record<string, unknown>, code: string, id: number | null | undefined = undefined) {
  const msg = ErrorResponse.parse(await reply);
  expect(msg.code).toBe(code);
  if (id !== undefined) expect(msg.id).toBe(id);
  expect(msg.error.length).toBeGreaterThan(0);
}

describe('authentication', () => {
  it('refuses a missing token with 401', async () => {
    await expect(connect(daemon.url, null)).rejects.toMatchObject({ statusCode: 401 });
  });

  it('refuses a wrong token with 401, also one that shares a prefix', async () => {
    await expect(connect(daemon.url, 'wrong-token')).rejects.toMatchObject({ statusCode: 401 });
    await expect(connect(daemon.url, `${daemon.token}x`)).rejects.toMatchObject({ statusCode: 401 });
    await expect(connect(daemon.url, daemon.token.slice(0, -1))).rejects.toMatchObject({ statusCode: 401 });
  });

  it('never writes the token to its log', () => {
    expect(daemon.stderr()).not.toContain(daemon.token);
    expect(daemon.stderr()).toContain('refused a connection');
  });

  it('answers plain HTTP with 426, not with data', async () => {
    const res = await fetch(daemon.url.replace('ws:', 'http:'), { headers: { Authorization: `Bearer ${daemon.token}` } });
    expect(res.status).toBe(426);
  });
});

describe('bad input', () => {
  it.each([
    { name: 'not JSON', raw: '{"operation": PING', code: 'BAD_MESSAGE', id: null },
    { name: 'a JSON array', raw: '[1, 2, 3]', code: 'BAD_MESSAGE', id: null },
    { name: 'a JSON string', raw: '"PING"', code: 'BAD_MESSAGE', id: null },
    { name: 'no operation', raw: '{"id": 41}', code: 'BAD_MESSAGE', id: 41 },
    { name: 'an unknown operation', raw: '{"operation": "DELETE_EVERYTHING", "id": 42}', code: 'UNKNOWN_OPERATION', id: 42 },
    { name: 'no id', raw: '{"operation": "PING"}', code: 'BAD_MESSAGE', id: null },
    { name: 'a fractional id', raw: '{"operation": "PING", "id": 1.5}', code: 'BAD_MESSAGE', id: null },
    { name: 'a field of the wrong type', raw: '{"operation": "GET_CHANGES", "id": 43, "since_sequence": "zero"}', code: 'BAD_MESSAGE', id: 43 },
    { name: 'a page that is too large', raw: '{"operation": "GET_CHANGES", "id": 44, "since_sequence": 0, "limit": 1000000}', code: 'BAD_MESSAGE', id: 44 },
    { name: 'ACK before HELLO', raw: '{"operation": "ACK_CHANGES", "id": 45, "sequence_number": 1}', code: 'HELLO_REQUIRED', id: 45 },
    { name: 'upstream before HELLO', raw: '{"operation": "PREPARE_UPSTREAM", "id": 46, "file_count": 1}', code: 'HELLO_REQUIRED', id: 46 },
  ])('$name -> $code', async ({ raw, code, id }) => {
    client.sendRaw(raw);
    await expectError(client.nextMessage((m) => m.status === 'error' && m.id === id), code, id);
  });

  it.each([
    { name: 'parent traversal', p: '../outside/secret.txt', code: 'UNSAFE_PATH' },
    { name: 'traversal after a real directory', p: 'sub/../../secret.txt', code: 'UNSAFE_PATH' },
    { name: 'an absolute path', p: '/etc/passwd', code: 'UNSAFE_PATH' },
    { name: 'a backslash path', p: '..\\..\\etc\\passwd', code: 'UNSAFE_PATH' },
    { name: 'a NUL byte', p: 'hello.txt\u0000.jpg', code: 'UNSAFE_PATH' },
    { name: 'a dot segment', p: './hello.txt', code: 'UNSAFE_PATH' },
    { name: 'a path through a symlink to outside', p: 'link-out/secret.txt', code: 'NOT_FOUND' },
    { name: 'a symlink to a file outside', p: 'file-link', code: 'NOT_FOUND' },
    { name: 'a file that does not exist', p: 'nope.txt', code: 'NOT_FOUND' },
    { name: 'a directory', p: 'sub', code: 'NOT_FOUND' },
  ])('GET_FILE with $name -> $code', async ({ p, code }) => {
    const reply = await client.request('GET_FILE', { base_dir: 'w', path: p });
    await expectError(reply, code);
  });

  it('GET_FILE of an unknown base_dir -> UNKNOWN_BASE_DIR', async () => {
    await expectError(client.request('GET_FILE', { base_dir: 'etc', path: 'passwd' }), 'UNKNOWN_BASE_DIR');
  });

  it('a recorded file whose directory became a symlink to outside is never read through it', async () => {
    // Swap sub/ for a symlink to a directory outside the root that has a file of the same name.
    rmSync(path.join(root, 'sub'), { recursive: true });
    symlinkSync(outside, path.join(root, 'sub'));
    const reply = await client.getFile('w', 'sub/secret.txt');
    expect(reply.header.status).toBe('error');
    expect(['UNSAFE_PATH', 'NOT_FOUND', 'FILE_CHANGED']).toContain(reply.header.code);
    expect(reply.content.length).toBe(0);
    // The watcher then logs the deletion; the symlink itself never enters the log.
    await waitFor(async () => (await fetchLog(client)).some((e) => e.path === 'sub/secret.txt' && e.operation === 'delete'));
    expect((await fetchLog(client)).filter((e) => e.path.startsWith('link-out') || e.path === 'file-link')).toEqual([]);
  });

  it('HELLO with an unsupported protocol -> INCOMPATIBLE_PROTOCOL; a good HELLO then works', async () => {
    await expectError(client.request('HELLO', { client_id: 'r-test', protocol: 999 }), 'INCOMPATIBLE_PROTOCOL');
    const hello = HelloResponse.parse(await client.request('HELLO', { client_id: 'r-test', protocol: PROTOCOL_VERSION }));
    expect(hello.dirs).toEqual(['w']);
    expect(hello.log_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('acknowledging past the end of the log or asking beyond it is refused', async () => {
    const last = (await client.request('GET_LAST_SEQUENCE')).last_sequence as number;
    await expectError(client.request('ACK_CHANGES', { sequence_number: last + 100 }), 'BAD_MESSAGE');
    await expectError(client.request('GET_CHANGES', { since_sequence: last + 100 }), 'RESYNC_REQUIRED');
    expect(await client.request('ACK_CHANGES', { sequence_number: last })).toMatchObject({ status: 'ok', sequence_number: last });
  });

  it('binary frames that belong to no upload get an error, short ones too', async () => {
    client.sendBinary(777, Buffer.from('stray bytes'));
    await expectError(client.nextMessage((m) => m.id === 777), 'UPSTREAM_STATE', 777);
    client.sendRaw(Buffer.from([1, 2]));
    await expectError(client.nextMessage((m) => m.status === 'error' && m.id === null), 'BAD_MESSAGE', null);
  });

  it('a frame over the size limit closes only that socket (1009); the daemon keeps serving', async () => {
    const victim = await connect(daemon.url, daemon.token);
    victim.sendRaw(Buffer.alloc(9 * 1024 * 1024, 1));
    expect((await victim.closed).code).toBe(1009);
    const fresh = await connect(daemon.url, daemon.token);
    PingResponse.parse(await fresh.request('PING'));
    await fresh.close();
  });

  it('after all of that the first connection still answers', async () => {
    const ping = PingResponse.parse(await client.request('PING'));
    expect(ping.server_time).toBeGreaterThan(0);
    const file = await client.getFile('w', 'hello.txt');
    expect(file.content.toString()).toBe('hello\n');
    expect(file.end).toMatchObject({ status: 'ok', operation: 'FILE_END' });
  });
});
