// A directory moved into a root whole, holding more entries than a JavaScript call takes
// arguments (about 125k): its one event leads to one subtree look, and everything in it must
// reach the log from that look, not only at the periodic rescan ten minutes later.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';

const FILES = 130_000;

describe('zync-daemon given a big directory at once', () => {
  let daemon: DaemonHandle | undefined;
  let client: RawClient | undefined;
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
  });

  it(`logs all ${FILES} files of a directory moved into the root`, async () => {
    const e = tempDir('zync-e-');
    const outside = tempDir('zync-outside-');
    mkdirSync(path.join(outside, 'big'));
    for (let i = 0; i < FILES; i++) writeFileSync(path.join(outside, 'big', `f${i}`), '');
    writeFileSync(path.join(e, 'seed.txt'), 'seed\n');
    daemon = await startDaemon({ dirs: { docs: e } });
    client = await connect(daemon.url, daemon.token);
    const lastSequence = async () => ((await client!.request('GET_LAST_SEQUENCE', {})) as { last_sequence: number }).last_sequence;
    const before = await lastSequence();

    renameSync(path.join(outside, 'big'), path.join(e, 'big')); // one event in the root
    await waitFor(async () => (await lastSequence()) >= before + FILES + 1, {
      timeoutMs: 120_000,
      intervalMs: 1000,
      what: `the ${FILES} files and their directory in the log`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- daemon log tail ---\n${daemon!.stderr().slice(-2000)}`);
    });
    expect(daemon.stderr()).not.toMatch(/Maximum call stack size exceeded/);
  }, 240_000);
});
