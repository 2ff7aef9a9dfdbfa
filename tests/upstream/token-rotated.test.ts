// An upload cut by a token rotation (the daemon ends the connection made with the old token,
// close 4401) is said as the refused token it is (exit 4), as a request cut the same way is, not
// as a lost connection (before: exit 3, "closed the connection"); a rerun with the new token
// stages the whole upload.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, waitFor, writeRandomFile, writeTokenFile, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';

const MiB = 1024 * 1024;
const BIG = 160 * MiB;
const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-fedcba9876543210';

describe('an upload cut by a token rotation', () => {
  const running: SpawnedCli[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    for (const p of running.splice(0)) await p.stop('SIGKILL');
  });

  it('ends with the refused-token sentence (exit 4), and a rerun with the new token stages it', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    const eToken = path.join(tempDir('zync-etoken-'), 'token');
    await writeTokenFile(eToken, OLD);
    await writeFile(path.join(e, 'a.txt'), 'a\n');
    const daemon = spawnCli('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(tempDir('zync-state-'), 'sync.db'), '--token-file', eToken, '--dirs', `docs:${e}`]);
    running.push(daemon);
    const port = Number((await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr()), { what: 'the daemon to listen', timeoutMs: 60_000 }))[1]);
    proxy = await startProxy({ targetPort: port });
    const db = path.join(tempDir('zync-rstate-'), 'c.db');
    const args = (token: string, ...extra: string[]) => ['--server', proxy!.url, '--token', token, '--db', db, '--dirs', `docs:${r}`, '--once', ...extra];
    const pulled = await runCli('client', args(OLD), { timeoutMs: 60_000 });
    expect(pulled.code, pulled.stderr).toBe(0);
    await writeRandomFile(path.join(r, 'film.bin'), BIG);

    const before = proxy.bytes.toTarget;
    const upload = spawnCli('client', args(OLD, '--update-upstream'));
    running.push(upload);
    await waitFor(() => proxy!.bytes.toTarget - before > BIG / 4, { timeoutMs: 60_000, intervalMs: 1, what: 'a quarter of the file through the proxy' });
    proxy.stall('toTarget');
    await writeTokenFile(eToken, NEW);
    await waitFor(() => /closed 1 connection\(s\) authenticated with the token accepted before/.test(daemon.stderr()), { what: 'the daemon to close the old connection' });
    proxy.unstall();
    expect(await upload.exited, upload.stderr()).toBe(4);
    expect(upload.stderr()).toContain('refused the token (HTTP 401); check --token, --token-file or ZYNC_TOKEN.');

    const again = await runCli('client', args(NEW, '--update-upstream'), { timeoutMs: 110_000 });
    expect(again.code, again.stderr).toBe(0);
  });
});
