// R renames a directory whose large file E already holds (`mv assets static`): --update-upstream
// offers it to E with from_e, E stages it from its own copy, and the file's bytes do not cross
// the link (counted at a proxy in between); the small file beside it goes as always. Applied on
// E, the rename reaches R back and both trees are equal. When E's copy changed since E recorded
// it (written through a hard link outside the root, which E's watcher cannot see), E asks for
// the bytes and R sends them: what is staged and applied is still R's content.
// A file R sent in a session still waiting on E and renamed since is staged from that session's
// staged copy the same way.
// (Before: the whole renamed file was uploaded again, and E staged it from R's bytes.)
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, writeFile, copyFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectSameTree, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

const BIG = 4 * 1024 * 1024;

describe("upstream: content E already holds is staged from E's own copy", () => {
  const daemons: DaemonHandle[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop();
  });

  /** E holding `files`, served by a daemon that logs at debug, and R synced from it. */
  const pair = async (files: Record<string, Buffer>) => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(e, rel)), { recursive: true });
      await writeFile(path.join(e, rel), content);
    }
    const daemon = await startDaemon({ dirs: { docs: e }, args: ['--log-level', 'debug', '--rescan-interval', '0'] });
    daemons.push(daemon);
    const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
    return { e, r, daemon, setup };
  };

  it('R renames a directory holding a large file: its bytes are not sent, apply works, the trees end equal', async () => {
    const big = randomBytes(BIG);
    const { e, r, daemon, setup } = await pair({ 'assets/big.bin': big, 'assets/small.txt': Buffer.from('small\n') });
    await rename(path.join(r, 'assets'), path.join(r, 'static'));
    const proxy = await startProxy({ targetPort: daemon.port });
    let result;
    try {
      result = await runUpstream(setup, proxy.url);
      // Requests and the small file only: far fewer bytes than the large file.
      expect(proxy.bytes.toTarget).toBeLessThan(BIG / 8);
    } finally {
      await proxy.close();
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("  1 file (4.0 MiB) taken from E's own copies, not sent.\n");
    const stagingId = stagingIdFrom(result.stdout);
    expect(daemon.stderr()).toContain("upstream file staged from E's own copy");

    const applied = await runApply(daemon, ['apply', stagingId, '--force', '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await readFile(path.join(e, 'static', 'big.bin'))).equals(big)).toBe(true);
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
  });

  it('R renames a large file it sent in a session still waiting: staged from that session, both sessions apply', async () => {
    const { e, r, daemon, setup } = await pair({ 'notes.txt': Buffer.from('notes\n') });
    const made = randomBytes(BIG); // made on R: E holds it only staged
    await writeFile(path.join(r, 'made.bin'), made);
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    const first = stagingIdFrom(sent.stdout);

    await rename(path.join(r, 'made.bin'), path.join(r, 'moved.bin'));
    const proxy = await startProxy({ targetPort: daemon.port });
    let result;
    try {
      result = await runUpstream(setup, proxy.url);
      expect(proxy.bytes.toTarget).toBeLessThan(BIG / 8);
    } finally {
      await proxy.close();
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("  1 file (4.0 MiB) taken from E's own copies, not sent.\n");
    const second = stagingIdFrom(result.stdout);
    expect(daemon.stderr()).toMatch(new RegExp(`upstream file staged from E's own copy.*staged ${first}/`));

    for (const id of [first, second]) {
      const applied = await runApply(daemon, ['apply', id, '--force', '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
    }
    expect((await readFile(path.join(e, 'moved.bin'))).equals(made)).toBe(true);
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    await expectSameTree(r, e);
  });

  it("E's copy changed since E recorded it: E asks for the bytes, and R's content is what is staged", async () => {
    const big = randomBytes(BIG);
    const { e, r, daemon, setup } = await pair({ 'data/big.bin': big });
    // Written in place through a name outside the root: the file's content changes, E's log does not.
    const outside = path.join(tempDir('zync-outside-'), 'big.link');
    await link(path.join(e, 'data', 'big.bin'), outside);
    const handle = await open(outside, 'r+');
    await handle.write(randomBytes(1024), 0, 1024, 0);
    await handle.close();
    await copyFile(path.join(r, 'data', 'big.bin'), path.join(r, 'data', 'copy.bin'));

    const proxy = await startProxy({ targetPort: daemon.port });
    let result;
    try {
      result = await runUpstream(setup, proxy.url);
      expect(proxy.bytes.toTarget).toBeGreaterThan(BIG);
    } finally {
      await proxy.close();
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("taken from E's own copies");
    await waitFor(() => daemon.stderr().includes("E's copy no longer holds the content"), { what: 'the daemon to log the changed copy' });

    const applied = await runApply(daemon, ['apply', stagingIdFrom(result.stdout), '--force', '--non-interactive']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await readFile(path.join(e, 'data', 'copy.bin'))).equals(big)).toBe(true);
  });
});
