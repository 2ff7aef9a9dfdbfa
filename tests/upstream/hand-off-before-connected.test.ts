// A running client (a service) started while E cannot be reached retries its first connection
// with backoff, for hours if need be. A one-shot `--update-upstream` meanwhile is handed to it all
// the same: the upload makes its own connection, as an in-process one would — so while E is down
// the one-shot says that it cannot reach E (exit 3, as in-process), and once E is back it sends at
// once, without waiting for the service's next attempt. Before: exit 8, "stop it first". One given
// a root at a new place waits for the service's first pull, which resyncs the root there.
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, writeText, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, syncedPair } from '../client/support.js';
import { listSessions, runUpstream, stagingIdFrom } from './support.js';

const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe('upstream: --update-upstream handed to a service that has not reached E yet', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  let moved: { daemon?: DaemonHandle; client?: SpawnedCli } = {};
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
    await moved.client?.stop('SIGKILL');
    await moved.daemon?.stop();
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

  // The root moved on R (mv, the unit's --dirs edited) while E was down: the service binds it there
  // at its first pull. Before: exit 2, '"docs" is synced into <old> on R, not <new>; pass the same
  // --dirs as when syncing.', though the one-shot was given the service's own --dirs.
  it('with a root at a new place, waits for the service\'s first pull, then sends: exit 0', async () => {
    const pair = await syncedPair(async (e) => writeText(path.join(e, 'a.txt'), 'from E\n'));
    await pair.daemon.stop();
    const newPlace = path.join(tempDir('zync-r-new-'), 'docs');
    await rename(pair.r, newPlace);
    const setup = { ...pair.setup, dirs: { docs: newPlace } };
    moved = {};
    moved.client = spawnClient(setup, ['--interval', '600', '--log-level', 'debug']);
    await waitFor(() => [...moved.client!.stderr().matchAll(/Retrying in (\d+\.\d) s/g)].some((m) => Number(m[1]) >= 4), {
      timeoutMs: 30_000,
      what: 'a reconnection delay of 4 s or more',
    });
    moved.daemon = await startDaemon({ dirs: { docs: pair.e }, db: pair.daemon.db, port: pair.daemon.port });
    await writeText(path.join(newPlace, 'from-r.txt'), 'R edit\n');

    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain(`--dirs docs is at a new place on R (${newPlace}) that no pull has resynced yet (it was synced into ${pair.r}): pulling first, then sending`);
    const stagingId = stagingIdFrom(sent.stdout);
    // R's new file only: E's a.txt, found at the new place, is not taken for R's.
    expect((await listSessions(moved.daemon, false)).map((s) => [s.staging_id, s.file_count])).toEqual([[stagingId, 1]]);
  });
});
