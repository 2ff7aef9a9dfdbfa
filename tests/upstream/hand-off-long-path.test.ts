// The hand-off socket `<db>.sock` of a state deep in a home directory, longer than the 107 bytes a
// Unix socket's path may have: the running client still listens there (reached through its
// directory), with the socket's usual owner and mode 0600, and the one-shot hands its upload to
// it as anywhere else. Before: the client warned that it could not take hand-offs, and the
// one-shot ended with "in use" (exit 8).
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, writeText, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { runClientOnce, spawnClient, type ClientSetup } from '../client/support.js';
import { listSessions, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: the hand-off socket on a path longer than a Unix socket allows', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('the running client takes the upload all the same, and removes its socket on a clean stop', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    await writeText(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    const stateDir = path.join(tempDir('zync-rstate-'), 'home-of-a-user-with-a-long-name', '.local', 'state', 'zync-client-of-this-project');
    await mkdir(stateDir, { recursive: true });
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(stateDir, 'sync_client.db') };
    const socket = `${setup.db}.sock`;
    expect(Buffer.byteLength(socket)).toBeGreaterThan(107);
    expect((await runClientOnce(setup)).code).toBe(0);

    client = spawnClient(setup, ['--interval', '600']);
    await waitFor(() => /pull: /.test(client!.stderr()), { what: "the running client's first pass" });
    expect(client.stderr()).not.toContain('cannot hand its upload to this client');
    await waitFor(() => existsSync(socket), { what: 'the running client to listen on its socket' });
    expect((await stat(socket)).mode & 0o777).toBe(0o600);

    await writeText(path.join(r, 'from-r.txt'), 'R edit\n');
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain(`the zync-client running on this state (pid ${client.pid}) sends R's edits`);
    const stagingId = stagingIdFrom(sent.stdout);
    expect((await listSessions(daemon, false)).map((s) => [s.staging_id, s.file_count])).toEqual([[stagingId, 1]]);

    expect(await client.stop('SIGTERM'), client.stderr()).toBe(0);
    client = undefined;
    expect(existsSync(socket)).toBe(false);
  });
});
