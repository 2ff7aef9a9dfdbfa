// Directory permission bits reach R: directories arrive with E's mode (0700, 0750, 0500 with
// files inside, 0000 below it), a later chmod on E reaches R with the next --once and with a
// continuous client, a file added on E in a directory R holds read-only still arrives, and
// --update-upstream finds nothing to send, passing over a directory it may not read. Run as root,
// the client is started without the capabilities that let root write anywhere, so directory
// permissions bind it as any user.
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameTree, runCli, spawnCli, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { clientArgs, daemonView, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const AS_A_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', '--'] : [];

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('zync-client and directory modes', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let client: SpawnedCli | null = null;

  const once = (extra: string[] = []) => runCli('client', clientArgs(setup, ['--once', ...extra]), { wrapper: AS_A_USER, timeoutMs: 60_000 });
  /** Waits until the daemon's log holds `mode` for the directory `rel`. */
  const logged = (rel: string, mode: number) =>
    waitFor(async () => (await daemonView(daemon, 'docs')).get(rel)?.mode === mode, { timeoutMs: 10_000, what: `mode ${mode.toString(8)} of ${rel} in the log` });

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await mkdir(path.join(e, 'privdir'));
    await writeFile(path.join(e, 'privdir/p'), 'p\n', { mode: 0o640 });
    await chmod(path.join(e, 'privdir'), 0o700);
    await mkdir(path.join(e, 'team/sub'), { recursive: true });
    await writeFile(path.join(e, 'team/a.txt'), 'a\n');
    await writeFile(path.join(e, 'team/sub/b.txt'), 'b\n');
    await chmod(path.join(e, 'team'), 0o750);
    await chmod(path.join(e, 'team/sub'), 0o755);
    await mkdir(path.join(e, 'locked/vault'), { recursive: true });
    await writeFile(path.join(e, 'locked/x.txt'), 'x\n');
    await writeFile(path.join(e, 'locked/vault/y.txt'), 'y\n');
    await chmod(path.join(e, 'locked/vault'), 0o000);
    await chmod(path.join(e, 'locked'), 0o500);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it("creates directories with E's modes, and fills read-only ones", async () => {
    const result = await once();
    expect(result.code, result.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'privdir'))).toBe(0o700);
    expect(await modeOf(path.join(r, 'privdir/p'))).toBe(0o640);
    expect(await modeOf(path.join(r, 'team'))).toBe(0o750);
    expect(await modeOf(path.join(r, 'team/sub'))).toBe(0o755);
    expect(await modeOf(path.join(r, 'locked'))).toBe(0o500);
    expect(await modeOf(path.join(r, 'locked/vault'))).toBe(0o000);
    await expectSameTree(r, e); // this process may read 0000 directories
    expect(result.stderr).toMatch(/up to date/);
  });

  it('--update-upstream passes over a directory from E that R may not read (0000): nothing below it is taken for deleted', async () => {
    const result = await runCli('client', clientArgs(setup, ['--update-upstream']), { wrapper: AS_A_USER, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/cannot read docs\/locked\/vault: nothing below it is sent upstream/);
    expect(result.stdout + result.stderr).toMatch(/Nothing to send upstream/);
  });

  it('brings a chmod on E of an existing directory with the next --once', async () => {
    await chmod(path.join(e, 'privdir'), 0o750);
    await chmod(path.join(e, 'locked/vault'), 0o700);
    await logged('privdir', 0o750);
    await logged('locked/vault', 0o700);
    const result = await once();
    expect(result.code, result.stderr).toBe(0);
    expect(await modeOf(path.join(r, 'privdir'))).toBe(0o750);
    expect(await modeOf(path.join(r, 'locked/vault'))).toBe(0o700);
    expect(await modeOf(path.join(r, 'locked'))).toBe(0o500);
    expect(result.stderr).toMatch(/2 mode\/mtime change/);
  });

  it('finds nothing to send upstream after directory modes arrived', async () => {
    const result = await runCli('client', clientArgs(setup, ['--update-upstream']), { wrapper: AS_A_USER, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Nothing to send upstream/);
  });

  it('brings chmods and a file added in a directory R holds read-only, with a continuous client', async () => {
    client = spawnCli('client', clientArgs(setup, ['--interval', '600']), { wrapper: AS_A_USER });
    await chmod(path.join(e, 'team'), 0o700);
    await waitFor(async () => (await modeOf(path.join(r, 'team'))) === 0o700, { timeoutMs: 15_000, what: 'team 0700 on R' });

    // E opens the directory, adds a file and closes it again; R's copy is 0500 meanwhile.
    await chmod(path.join(e, 'locked'), 0o700);
    await writeFile(path.join(e, 'locked/later.txt'), 'later\n');
    await chmod(path.join(e, 'locked'), 0o500);
    await waitForDaemonToSee(daemon, 'docs', e);
    await logged('locked', 0o500);
    await waitFor(async () => (await stat(path.join(r, 'locked/later.txt')).catch(() => null)) !== null, { timeoutMs: 15_000, what: 'locked/later.txt on R' });
    await waitFor(async () => (await modeOf(path.join(r, 'locked'))) === 0o500, { timeoutMs: 15_000, what: 'locked 0500 on R' });
    await expectSameTree(r, e);
    expect(client.stderr()).not.toMatch(/will retry|EACCES/);
    await client.stop('SIGTERM');
    client = null;
  });
});
