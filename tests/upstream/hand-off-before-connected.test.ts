// A running client (a service) started while E cannot be reached retries its first connection
// with backoff, for hours if need be. A one-shot `--update-upstream` meanwhile is handed to it all
// the same: the upload makes its own connection, as an in-process one would — so while E is down
// the one-shot says that it cannot reach E (exit 3, as in-process), and once E is back it sends at
// once, without waiting for the service's next attempt. Before: exit 8, "stop it first".
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, waitFor, writeText, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, syncedPair } from '../client/support.js';
import { listSessions, runUpstream, stagingIdFrom } from './support.js';

const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe('upstream: --update-upstream handed to a service that has not reached E yet', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('says E cannot be reached (exit 3) while it is down, and sends once it is back', async () => {
    const pair = await syncedPair(async (e) => writeText(path.join(e, 'a.txt'), 'from E\n'));
    const { setup, r } = pair;
    await pair.daemon.stop();
    client = spawnClient(setup, ['--interval', '600', '--log-level', 'debug']);
    // It listens before its first attempt: by its first retry, a one-shot is answered.
    await waitFor(() => /Retrying in/.test(client!.stderr()), { what: 'the service to retry its first connection' });
    await writeText(path.join(r, 'from-r.txt'), 'R edit\n');

    const down = await runUpstream(setup);
    expect(down.code, down.stderr).toBe(3);
    expect(down.stderr).toContain(`the zync-client running on this state (pid ${client.pid}) sends R's edits`);
    expect(lastLine(down.stderr)).toMatch(/^zync-client: Cannot reach the daemon at /);

    // E back on its port; the service is still between two attempts (4 s or more).
    await waitFor(() => [...client!.stderr().matchAll(/Retrying in (\d+\.\d) s/g)].some((m) => Number(m[1]) >= 4), {
      timeoutMs: 30_000,
      what: 'a reconnection delay of 4 s or more',
    });
    daemon = await startDaemon({ dirs: { docs: pair.e }, db: pair.daemon.db, port: pair.daemon.port });
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    const stagingId = stagingIdFrom(sent.stdout);
    expect((await listSessions(daemon, false)).map((s) => [s.staging_id, s.file_count])).toEqual([[stagingId, 1]]);

    // The service then connects and pulls as usual.
    await writeText(path.join(pair.e, 'later.txt'), 'later from E\n');
    await waitFor(() => existsSync(path.join(r, 'later.txt')), { what: "E's later file on R", timeoutMs: 60_000 });
  });
});
