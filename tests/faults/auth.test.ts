// Guessing the token: wrong tokens get 401, each further failure from the same address is
// answered later (so guessing is slow), a correct token is never held up meanwhile, failures are
// logged at warn with the remote address, and no token — right or wrong — ever reaches the log.
// The token file: generated with mode 0600; a token file others can read, or one the binary
// cannot read (another user's, a directory), is refused by both binaries with one sentence.
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, runCli, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';

const TOKEN = 'the-right-token-5f1d0c7e9a';
/** Runs a binary without root's power to read other users' files (tests run as root). */
const AS_A_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];
const WRONG = 'a-wrong-token-guess-0001';

/** Milliseconds until the upgrade is refused (asserting it is a 401). */
async function timeRefusal(url: string, token: string | null): Promise<number> {
  const started = Date.now();
  await expect(connect(url, token)).rejects.toMatchObject({ statusCode: 401 });
  return Date.now() - started;
}

describe('failed authentication', () => {
  let root: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    root = tempDir('zync-e-');
    writeFileSync(path.join(root, 'a.txt'), 'a\n');
    daemon = await startDaemon({ dirs: { docs: root }, token: TOKEN });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is answered ever more slowly per address; a correct token meanwhile connects at once', async () => {
    const times: number[] = [];
    for (let i = 0; i < 4; i++) times.push(await timeRefusal(daemon.url, `${WRONG}-${i}`));
    // The fifth guess waits 2 s; while it waits, the real client gets in without delay.
    const fifth = timeRefusal(daemon.url, `${WRONG}-4`);
    const started = Date.now();
    const good = await connect(daemon.url, TOKEN);
    const goodMs = Date.now() - started;
    await good.close();
    times.push(await fifth);
    console.log(`[auth] refusal times for five wrong tokens in a row: ${times.join(', ')} ms; a correct token meanwhile: ${goodMs} ms`);
    expect(times[0]).toBeLessThan(1000);
    expect(times[1]).toBeGreaterThanOrEqual(200);
    expect(times[3]).toBeGreaterThanOrEqual(900);
    expect(times[4]).toBeGreaterThanOrEqual(1500);
    expect(goodMs).toBeLessThan(1000);
  });

  it('a success resets the count for that address', async () => {
    const good = await connect(daemon.url, TOKEN);
    await good.close();
    expect(await timeRefusal(daemon.url, null)).toBeLessThan(1000);
  });

  it('zync-client with a wrong token exits 4 with one sentence', async () => {
    const r = tempDir('zync-r-');
    const result = await runCli('client', [
      '--server', daemon.url, '--token', WRONG, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once',
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^zync-client: The daemon at .* refused the token \(HTTP 401\)/);
    expect(result.stderr).not.toContain(WRONG);
  });

  it('failures are logged at warn with the remote address; no token ever is', async () => {
    const log = daemon.stderr();
    expect(log).toMatch(/WARN.*refused a connection with a wrong token.*127\.0\.0\.1/);
    expect(log).toMatch(/refused a connection with no token/);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(WRONG);
  });
});

describe('the token file', () => {
  it('is generated with mode 0600, works for a client, and the daemon refuses it once others can read it', async () => {
    const root = tempDir('zync-e-');
    writeFileSync(path.join(root, 'a.txt'), 'a\n');
    const state = tempDir('zync-state-');
    const args = ['--host', '127.0.0.1', '--port', '0', '--db', path.join(state, 'sync.db'), '--dirs', `docs:${root}`];
    const daemon = spawnCli('daemon', args);
    const port = await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr())?.[1], { what: 'the daemon to listen' });
    const tokenFile = path.join(state, 'zync.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const r = tempDir('zync-r-');
    const ok = await runCli('client', [
      '--server', `ws://127.0.0.1:${port}`, '--token-file', tokenFile, '--db', path.join(r, 'client.db'), '--dirs', `docs:${path.join(r, 'docs')}`, '--once',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    await daemon.stop();

    chmodSync(tokenFile, 0o640);
    const refused = await runCli('daemon', args);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      `zync-daemon: Token file ${tokenFile} can be read by other users (mode 640); run chmod 600 ${tokenFile}.`,
    );
  });

  it.each([
    { who: 'daemon' as const, mode: 0o644, octal: '644' },
    { who: 'daemon' as const, mode: 0o604, octal: '604' },
    { who: 'client' as const, mode: 0o640, octal: '640' },
    { who: 'client' as const, mode: 0o604, octal: '604' },
  ])('a --token-file with mode $octal is refused by zync-$who with one sentence', async ({ who, mode }) => {
    const dir = tempDir('zync-token-');
    const file = path.join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, mode);
    // The root beside the token, not around it: a token file in a watched root is refused first.
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const args =
      who === 'daemon'
        ? ['--port', '0', '--db', path.join(dir, 'sync.db'), '--token-file', file, '--dirs', `docs:${root}`]
        : ['--server', 'ws://127.0.0.1:9', '--token-file', file, '--db', path.join(dir, 'client.db'), '--dirs', `docs:${path.join(dir, 'r')}`, '--once'];
    const result = await runCli(who, args);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`zync-${who}: Token file ${file} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${file}.`);
    expect(result.stderr).not.toContain(TOKEN);
  });

  it.each([
    { who: 'daemon' as const, what: "another user's file" },
    { who: 'client' as const, what: "another user's file" },
    { who: 'daemon' as const, what: 'a directory' },
    { who: 'client' as const, what: 'a directory' },
  ])('a --token-file zync-$who cannot read ($what) is refused with one sentence', async ({ who, what }) => {
    const dir = tempDir('zync-token-');
    const file = path.join(dir, 'token');
    if (what === 'a directory') mkdirSync(file, { mode: 0o700 });
    else {
      writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
      chownSync(file, 4321, 4321);
    }
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const args =
      who === 'daemon'
        ? ['--port', '0', '--db', path.join(dir, 'sync.db'), '--token-file', file, '--dirs', `docs:${root}`]
        : ['--server', 'ws://127.0.0.1:9', '--token-file', file, '--db', path.join(dir, 'client.db'), '--dirs', `docs:${path.join(dir, 'r')}`, '--once'];
    const result = await runCli(who, args, { wrapper: AS_A_USER });
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(what === 'a directory' ? `zync-${who}: Token file ${file} is not a file.` : `zync-${who}: Token file ${file} cannot be read (EACCES).`);
  });
});
