// The hand-off socket when --db is in a directory every user may write to (mode 1777, as /tmp
// is): another local user who binds `<db>.sock` first keeps the running client from listening
// there (it warns), and the owner's one-shot does not ask that stranger's socket — which would
// learn its setup and could report an upload that never happened — but says why and exits 8,
// "in use", as with no service listening. Needs root (setpriv switches users); skipped otherwise.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { clientArgs, type ClientSetup } from '../client/support.js';
import { listSessions } from './support.js';

const IS_ROOT = process.getuid?.() === 0;
const OWNER = 4242; // R's user, not in /etc/passwd
const STRANGER = 65534; // nobody
const as = (uid: number) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe.skipIf(!IS_ROOT)('upstream: the hand-off socket with --db in a shared directory', () => {
  let daemon: DaemonHandle | undefined;
  let client: SpawnedCli | undefined;
  let stranger: ReturnType<typeof spawn> | undefined;
  afterEach(async () => {
    await client?.stop('SIGKILL');
    stranger?.kill('SIGKILL');
    await daemon?.stop();
  });

  it("does not hand the upload to another user's socket at <db>.sock: says why, exit 8, nothing sent to it", async () => {
    const e = tempDir('zync-e-');
    writeFileSync(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    const rParent = tempDir('zync-r-');
    chownSync(rParent, OWNER, OWNER);
    const shared = tempDir('zync-shared-');
    chmodSync(shared, 0o1777);
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(rParent, 'docs') }, db: path.join(shared, 'sync_client.db') };
    const socket = `${setup.db}.sock`;
    const once = await runCli('client', clientArgs(setup, ['--once']), { wrapper: as(OWNER) });
    expect(once.code, once.stderr).toBe(0);

    // The stranger's socket, open to all, answering any request with a made-up success.
    const script = `
      const { createServer } = require('node:net');
      const path = process.argv[1];
      createServer((c) => c.on('data', (d) => {
        process.stdout.write(d);
        c.end('{"operation":"PRINT","line":"Staged 1 change upstream as session made-up"}\\n{"operation":"DONE","status":"ok"}\\n');
      })).listen(path, () => { require('node:fs').chmodSync(path, 0o777); process.stderr.write('up\\n'); });`;
    stranger = spawn(as(STRANGER)[0]!, [...as(STRANGER).slice(1), process.execPath, '-e', script, socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let heard = '';
    stranger.stdout!.on('data', (d: Buffer) => (heard += d.toString()));
    await new Promise((resolve) => stranger!.stderr!.once('data', resolve));
    expect(existsSync(socket)).toBe(true);

    client = spawnCli('client', clientArgs(setup, ['--interval', '600']), { wrapper: as(OWNER) });
    await waitFor(() => /pull: /.test(client!.stderr()), { what: "the running client's first pass" });
    expect(client.stderr()).toMatch(
      new RegExp(`WARN.*cannot hand its upload to this client while it runs: ${socket.replace(/[/.]/g, '\\$&')} cannot be replaced \\(EPERM\\); it belongs to another user \\(uid ${STRANGER}\\); put --db in a directory only you can write to\\.`),
    );
    writeFileSync(path.join(setup.dirs.docs!, 'mine.txt'), 'R edit\n');
    chownSync(path.join(setup.dirs.docs!, 'mine.txt'), OWNER, OWNER);

    const oneShot = await runCli('client', clientArgs(setup, ['--update-upstream']), { wrapper: as(OWNER) });
    expect(oneShot.code, oneShot.stderr).toBe(8);
    expect(oneShot.stderr).toContain(
      `the upload is not handed to what listens on ${socket}: it belongs to another user (uid ${STRANGER}), not to this one (uid ${OWNER}); put --db in a directory only you can write to`,
    );
    expect(lastLine(oneShot.stderr)).toBe(`zync-client: Another zync-client (pid ${client.pid}) is using the client state ${setup.db}; stop it first.`);
    expect(oneShot.stdout).toBe('');
    expect(heard).toBe('');
    expect(await listSessions(daemon)).toEqual([]);
  });
});
