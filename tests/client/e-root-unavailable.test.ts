// One of E's roots is missing while the daemon runs (moved away, a disk not mounted): E holds it
// and logs nothing of it until it is back, so a pass cannot bring R up to date for it. zync-client
// --once still ends up to date (exit 0: nothing failed on R), but warns once that E's root is
// unavailable there, so the user knows R may be behind for it; a run that does not pull that root
// says nothing of it, and once it is back the warning goes. (Before: "up to date", and no word.)
// A running client warns once when the root goes, not at each pass (before: one warning a minute,
// and one per push), says once that it is back, and warns again if it goes again.
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type SpawnedCli } from '../helpers/index.js';
import { pairWithEDocsMoved, runClientOnce, spawnClient, waitForDaemonToSee, type TwoRootPair } from './support.js';

const WARNING = `E's root "docs" is unavailable on E (missing, or emptied: a disk not mounted?); R may be behind for it until it is back there.`;
const BACK = `E's root "docs" is available on E again; R catches up with it.`;
const count = (text: string, line: string) => text.split(line).length - 1;

describe("zync-client --once: one of E's roots is unavailable", () => {
  let pair: TwoRootPair;
  beforeAll(async () => {
    pair = await pairWithEDocsMoved();
  });
  afterAll(async () => {
    await pair?.daemon.stop();
  });

  it('warns once that E holds the root, still pulls the other roots, and exits 0', async () => {
    await writeFile(path.join(pair.e.code, 'code2.txt'), 'new on E\n');
    await waitForDaemonToSee(pair.daemon, 'code', pair.e.code);
    const pass = await runClientOnce(pair.setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr.split(WARNING).length - 1).toBe(1);
    expect(pass.stderr).toMatch(/up to date/);
    expect(await readFile(path.join(pair.r.code, 'code2.txt'), 'utf8')).toBe('new on E\n');
    expect(await readFile(path.join(pair.r.docs, 'docs1.txt'), 'utf8')).toBe('docs v1\n');
  });

  it('says nothing of it to a run that does not pull that root', async () => {
    const pass = await runClientOnce({ ...pair.setup, dirs: { code: pair.r.code } });
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });

  it('says nothing once the root is back', async () => {
    await rename(`${pair.e.docs}.moved`, pair.e.docs);
    await waitFor(() => pair.daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    const pass = await runClientOnce(pair.setup);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).not.toContain('is unavailable on E');
  });
});

describe("zync-client (continuous): one of E's roots is unavailable", () => {
  let pair: TwoRootPair;
  let client: SpawnedCli;
  beforeAll(async () => {
    pair = await pairWithEDocsMoved();
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await pair?.daemon.stop();
  });

  /** Writes a file in E's other root and waits for the pass that brings it to R to be logged. */
  let passes = 0;
  async function passAfterWriteInCode(name: string): Promise<void> {
    await writeFile(path.join(pair.e.code, name), `${name} on E\n`);
    passes++;
    await waitFor(async () => (await readFile(path.join(pair.r.code, name), 'utf8').catch(() => null)) === `${name} on E\n`, { what: `${name} on R` });
    await waitFor(() => (client.stderr().match(/pull: 1 file\(s\) downloaded/g)?.length ?? 0) >= passes, { what: `the pass that pulled ${name}` });
  }

  it('warns once however many passes run while it stays unavailable', async () => {
    // At debug: each pass's line is counted, and routine passes close together are said there.
    client = spawnClient(pair.setup, ['--interval', '600', '--log-level', 'debug']);
    await waitFor(() => client.stderr().includes(WARNING), { what: 'the first pass to warn' });
    for (const name of ['one.txt', 'two.txt', 'three.txt']) await passAfterWriteInCode(name);
    expect(count(client.stderr(), WARNING), client.stderr()).toBe(1);
  });

  it('says once that it is back, and warns again if it goes again', async () => {
    await rename(`${pair.e.docs}.moved`, pair.e.docs);
    await waitFor(() => pair.daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    await passAfterWriteInCode('four.txt');
    await waitFor(() => client.stderr().includes(BACK), { what: 'the client to say the root is back' });
    await passAfterWriteInCode('five.txt');
    expect(count(client.stderr(), BACK)).toBe(1);
    expect(count(client.stderr(), WARNING)).toBe(1);

    await rename(pair.e.docs, `${pair.e.docs}.moved`);
    await waitFor(() => (pair.daemon.stderr().match(/Root "docs" .* is missing or not a directory/g)?.length ?? 0) >= 2, { what: 'the daemon to report the root missing again' });
    await passAfterWriteInCode('six.txt');
    await waitFor(() => count(client.stderr(), WARNING) === 2, { what: 'the client to warn again' });
    await passAfterWriteInCode('seven.txt');
    expect(count(client.stderr(), WARNING)).toBe(2);
  });
});
