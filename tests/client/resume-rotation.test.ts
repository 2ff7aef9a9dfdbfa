// A large download cut by a token rotation (the daemon ends the connection made with the old
// token, close 4401) keeps what arrived, as a lost connection does: the running client whose
// token file already holds the new token reconnects and asks for the rest only (before, the
// partial file was thrown away and the download began again from byte 0).
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSameTree, findTempFiles, runCli, spawnCli, tempDir, waitFor, writeRandomFile, writeTokenFile, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';

const MiB = 1024 * 1024;
const BIG = 160 * MiB;
const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-fedcba9876543210';

describe('a download cut by a token rotation', () => {
  const running: SpawnedCli[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    for (const p of running.splice(0)) await p.stop('SIGKILL');
  });

  it('keeps the bytes R already has and resumes after them with the new token', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const eToken = path.join(tempDir('zync-etoken-'), 'token');
    const rToken = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eToken, OLD);
    await writeTokenFile(rToken, OLD);
    await writeRandomFile(path.join(e, 'film.bin'), BIG);
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(tempDir('zync-state-'), 'sync.db'), '--token-file', eToken, '--dirs', `docs:${e}`]);
    running.push(daemon);
    const port = Number((await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen', timeoutMs: 60_000 }))[1]);
    proxy = await startProxy({ targetPort: port });
    const client = spawnCli('client', ['--server', proxy.url, '--token-file', rToken, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--interval', '600']);
    running.push(client);

    // Half the file across, then held while the token is rotated (R's file first, as advised).
    await waitFor(() => proxy!.bytes.toClient > BIG / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the file through the proxy' });
    proxy.stall('toClient');
    await writeTokenFile(rToken, NEW);
    await writeTokenFile(eToken, NEW);
    await waitFor(() => /closed 1 connection\(s\) authenticated with the token accepted before/.test(daemon.stderr()), { what: 'the daemon to close the old connection' });
    proxy.unstall();

    await waitFor(() => expectSameTree(r, e).then(() => true, () => false), { timeoutMs: 90_000, what: 'R to hold the whole file' });
    const resumedAt = Number(/resuming docs\/film\.bin after (\d+) of/.exec(client.stderr())?.[1]);
    expect(resumedAt, client.stderr()).toBeGreaterThan(BIG / 4);
    expect(await findTempFiles(r)).toEqual([]);
    expect(client.proc.exitCode, client.stderr()).toBeNull();
  });

  it('keeps them for the next run when a --once client given the old token with --token stops (exit 4)', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const eToken = path.join(tempDir('zync-etoken-'), 'token');
    await writeTokenFile(eToken, OLD);
    await writeRandomFile(path.join(e, 'film.bin'), BIG);
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(tempDir('zync-state-'), 'sync.db'), '--token-file', eToken, '--dirs', `docs:${e}`]);
    running.push(daemon);
    const port = Number((await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen', timeoutMs: 60_000 }))[1]);
    proxy = await startProxy({ targetPort: port });
    const db = path.join(tempDir('zync-rstate-'), 'c.db');
    const args = (token: string) => ['--server', proxy!.url, '--token', token, '--db', db, '--dirs', `docs:${r}`, '--once'];
    const first = spawnCli('client', args(OLD));
    running.push(first);

    await waitFor(() => proxy!.bytes.toClient > BIG / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the file through the proxy' });
    proxy.stall('toClient');
    await writeTokenFile(eToken, NEW);
    await waitFor(() => /closed 1 connection\(s\) authenticated with the token accepted before/.test(daemon.stderr()), { what: 'the daemon to close the old connection' });
    proxy.unstall();
    expect(await first.exited, first.stderr()).toBe(4);
    // The refusal is said once, as the run's end; no warning per file cut before it.
    expect(first.stderr()).not.toMatch(/could not apply|WARN/);
    expect(await findTempFiles(r)).toHaveLength(1);

    const second = await runCli('client', args(NEW), { timeoutMs: 110_000 });
    expect(second.code, second.stderr).toBe(0);
    const resumedAt = Number(/resuming docs\/film\.bin after (\d+) of/.exec(second.stderr)?.[1]);
    expect(resumedAt, second.stderr).toBeGreaterThan(BIG / 4);
    await expectSameTree(r, e);
    expect(await findTempFiles(r)).toEqual([]);
  });

  it("goes on in the same --once run when R's token file already holds the new token (before: exit 4)", async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const eToken = path.join(tempDir('zync-etoken-'), 'token');
    const rToken = path.join(tempDir('zync-rtoken-'), 'token');
    await writeTokenFile(eToken, OLD);
    await writeTokenFile(rToken, OLD);
    await writeRandomFile(path.join(e, 'film.bin'), BIG);
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(tempDir('zync-state-'), 'sync.db'), '--token-file', eToken, '--dirs', `docs:${e}`]);
    running.push(daemon);
    const port = Number((await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen', timeoutMs: 60_000 }))[1]);
    proxy = await startProxy({ targetPort: port });
    const client = spawnCli('client', ['--server', proxy.url, '--token-file', rToken, '--db', path.join(tempDir('zync-rstate-'), 'c.db'), '--dirs', `docs:${r}`, '--once']);
    running.push(client);

    await waitFor(() => proxy!.bytes.toClient > BIG / 2, { timeoutMs: 60_000, intervalMs: 1, what: 'half the file through the proxy' });
    proxy.stall('toClient');
    await writeTokenFile(rToken, NEW);
    await writeTokenFile(eToken, NEW);
    await waitFor(() => /closed 1 connection\(s\) authenticated with the token accepted before/.test(daemon.stderr()), { what: 'the daemon to close the old connection' });
    proxy.unstall();
    expect(await client.exited, client.stderr()).toBe(0);
    await expectSameTree(r, e);
    expect(Number(/resuming docs\/film\.bin after (\d+) of/.exec(client.stderr())?.[1]), client.stderr()).toBeGreaterThan(BIG / 4);
    expect(client.stderr().match(/E rotated its token and ended the connection made with the old one; reconnecting with the new token from the token file\./g), client.stderr()).toHaveLength(1);
    expect(client.stderr()).not.toMatch(/WARN|ERROR/);
  });
});
