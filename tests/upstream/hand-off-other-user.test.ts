// root (or any other user) running `zync-client --update-upstream` on a state whose service runs
// as its owner: the service's socket takes hand-offs from its own user only, so the command does
// not ask it — and says in one sentence whose service holds the state and to run the command as
// that user (exit 8), not to move --db out of a shared directory, which it is not in. Needs root
// (setpriv switches users); skipped otherwise.
import { chownSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { clientArgs, type ClientSetup } from '../client/support.js';
import { listSessions } from './support.js';

const IS_ROOT = process.getuid?.() === 0;
const OWNER = 4243; // R's user, not in /etc/passwd
const as = (uid: number) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe.skipIf(!IS_ROOT)("upstream: a one-shot of another user than the service's", () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  afterEach(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it("root's one-shot names the user whose service holds the state and says to run as that user: exit 8, nothing sent", async () => {
    const e = tempDir('zync-e-');
    writeFileSync(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    const rParent = tempDir('zync-r-');
    const stateDir = tempDir('zync-rstate-');
    for (const dir of [rParent, stateDir]) chownSync(dir, OWNER, OWNER);
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(rParent, 'docs') }, db: path.join(stateDir, 'sync_client.db') };
    const once = await runCli('client', clientArgs(setup, ['--once']), { wrapper: as(OWNER) });
    expect(once.code, once.stderr).toBe(0);
    client = spawnCli('client', clientArgs(setup, ['--interval', '600']), { wrapper: as(OWNER) });
    await waitFor(() => existsSync(`${setup.db}.sock`) && /pull: /.test(client!.stderr()), { what: 'the running client to listen on its socket' });
    writeFileSync(path.join(setup.dirs.docs!, 'mine.txt'), 'R edit\n');
    chownSync(path.join(setup.dirs.docs!, 'mine.txt'), OWNER, OWNER);

    const oneShot = await runCli('client', clientArgs(setup, ['--update-upstream']));
    expect(oneShot.code, oneShot.stderr).toBe(8);
    // Before: a warning to move --db out of a directory others can write to, then "stop it first".
    expect(oneShot.stderr).not.toContain('put --db in a directory only you can write to');
    expect(lastLine(oneShot.stderr)).toBe(
      `zync-client: The client state ${setup.db} is held by the zync-client (pid ${client.pid}) running as uid ${OWNER}, which takes --update-upstream only from its own user; run this command as uid ${OWNER} to hand the upload to it.`,
    );
    expect(await listSessions(daemon)).toEqual([]);
  });
});
