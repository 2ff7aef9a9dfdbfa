// A first run of zync-client stopped (Ctrl-C) right after the daemon accepted it, before its first
// pass: R stays as it was, with no new root, state directory or database. The moment is made
// certain by a preload (sigint-after-hello.mjs) that delivers SIGINT at the first moment the client
// can handle one after its HELLO was answered, not waited for.
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, runCli, startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, stateDb, type ClientSetup } from './support.js';

const PRELOAD = pathToFileURL(path.join(import.meta.dirname, 'sigint-after-hello.mjs')).href;
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1) ?? '';

describe('zync-client stopped between connecting and its first pass', () => {
  let daemon: DaemonHandle;

  beforeAll(async () => {
    const e = tempDir('zync-e-');
    writeFileSync(path.join(e, 'a.txt'), 'from E\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it.each([
    { mode: 'continuous', extra: [], code: 0, last: /SIGINT: stopping/ },
    { mode: '--once', extra: ['--once'], code: 3, last: /^zync-client: Stopped before R was up to date\.$/ },
  ])('$mode: makes no root, state directory or database on R', async ({ extra, code, last }) => {
    const r = tempDir('zync-r-');
    const rState = tempDir('zync-rstate-');
    const setup: ClientSetup = { daemon, dirs: { docs: path.join(r, 'docs') }, db: path.join(rState, 'state', 'sync_client.db') };
    const result = await runCli('client', clientArgs(setup, extra), { env: { NODE_OPTIONS: `--import=${PRELOAD}` } });
    expect(result.stderr).toMatch(/SIGINT: stopping/); // the preload delivered it
    expect(result.code, result.stderr).toBe(code);
    expect(lastLine(result.stderr)).toMatch(last);
    // Before: the state directory, the database and docs/ were made after the stop.
    expect(readdirSync(r)).toEqual([]);
    expect(readdirSync(rState)).toEqual([]);
    expect(await exists(setup.db)).toBe(false);
  });
});
