// zync-client --update-upstream connects (token, protocol, names E serves) before it scans and
// hashes R's roots, which takes minutes on a big tree: a wrong token or an unreachable daemon is
// said at once. Proven without timing: R's tree holds a name zync does not sync (a backslash),
// which the scan warns about as it lists R's roots — before any file is hashed. The warning must
// not come when the connection fails (before: the whole tree was scanned and hashed first), and
// does come once the same run can connect. The connection held open during the scan, if lost
// meanwhile, is made again for the upload: R's `.zyncignore`, read first by the scan, is a FIFO
// here, so the scan waits (its reader shows) until the test has cut the connection.
import { closeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitFor, waitForFifoReader } from '../helpers/index.js';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { clientArgs, syncedPair } from '../client/support.js';
import { listSessions, stagingIdFrom } from './support.js';

const SCAN_WARNING = 'docs/back\\slash: not sent upstream';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('--update-upstream connects before it scans', () => {
  it('says a refused token or an unreachable daemon before looking at R’s tree', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'back\\slash'), 'x\n');
      await writeFile(path.join(r, 'a.txt'), 'R edit\n');
      const args = clientArgs(setup, ['--update-upstream']);
      const withArg = (flag: string, value: string) => args.map((a, i) => (args[i - 1] === flag ? value : a));

      const refused = await runCli('client', withArg('--token', 'not-the-token-0123456789'));
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.stderr).toMatch(/refused the token \(HTTP 401\); check --token, --token-file or ZYNC_TOKEN\.\n$/);
      expect(refused.stderr).not.toContain(SCAN_WARNING);

      const unreachable = await runCli('client', withArg('--server', `ws://127.0.0.1:${await closedPort()}`));
      expect(unreachable.code, unreachable.stderr).toBe(3);
      expect(unreachable.stderr).not.toContain(SCAN_WARNING);

      // The same tree, connected: the scan does warn, and R's edit is staged.
      const staged = await runCli('client', args);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stderr).toContain(SCAN_WARNING);
      expect(staged.stdout).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    } finally {
      await daemon.stop();
    }
  });

  it("says a refused token or a name E does not serve before a missing root's advice, which cannot help with them", async () => {
    const { r, daemon, setup } = await syncedPair();
    try {
      const args = clientArgs(setup, ['--update-upstream']);
      const nope = path.join(path.dirname(r), 'nope');
      const withNope = args.map((a, i) => (args[i - 1] === '--dirs' ? `nope:${nope}` : a));
      const unserved = await runCli('client', withNope);
      expect(unserved.code, unserved.stderr).toBe(2);
      expect(unserved.stderr).toBe('zync-client: The daemon does not serve "nope" (it serves "docs").\n');

      await rm(r, { recursive: true });
      const refused = await runCli('client', args.map((a, i) => (args[i - 1] === '--token' ? 'not-the-token-0123456789' : a)));
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.stderr).toMatch(/refused the token \(HTTP 401\); check --token, --token-file or ZYNC_TOKEN\.\n$/);
      expect(refused.stderr).not.toContain('does not exist');

      // Connected: the missing root itself is what is said.
      const missing = await runCli('client', args);
      expect(missing.code, missing.stderr).toBe(2);
      expect(missing.stderr).toBe(
        `zync-client: Directory "docs" does not exist: ${r}; nothing is sent upstream — put it back (if it moved, give zync-client its new place in --dirs: R's edits there stay R's), or run zync-client without --update-upstream (restart it if it runs as a service) to make it again and fetch E's files there.\n`,
      );
    } finally {
      await daemon.stop();
    }
  });

  it('connects again for the upload when the connection is lost during the scan', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    const proxy = await startProxy({ targetPort: daemon.port });
    const ignoreFile = path.join(r, '.zyncignore');
    let writer: number | null = null;
    try {
      await writeFile(path.join(r, 'a.txt'), 'R edit\n');
      execFileSync('mkfifo', [ignoreFile]);
      const args = clientArgs(setup, ['--update-upstream']);
      args[args.indexOf('--server') + 1] = proxy.url;
      const client = spawnCli('client', args);
      // The scan has begun (it reads .zyncignore) once the FIFO has a reader: O_NONBLOCK opens for
      // writing only then (ENXIO before). It waits there until the writer closes.
      writer = await waitForFifoReader(ignoreFile, 'the scan to read .zyncignore');
      expect(proxy.counters.accepted).toBe(1);
      proxy.cut();
      await waitFor(() => client.stderr().includes("Connecting again once R's roots are scanned."), { what: 'the client to see the connection lost' });
      proxy.restore();
      closeSync(writer);
      writer = null;

      expect(await client.exited, client.stderr()).toBe(0);
      expect(client.stdout()).toMatch(/Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
      expect(proxy.counters.accepted).toBe(2);
      const [session] = await listSessions(daemon);
      expect(session).toMatchObject({ staging_id: stagingIdFrom(client.stdout()), status: 'complete', file_count: 1 });
    } finally {
      if (writer !== null) closeSync(writer);
      await proxy.close();
      await daemon.stop();
    }
  });
});
