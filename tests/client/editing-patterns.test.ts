// E → R convergence under real-world editing patterns, with a continuous client on R: each test
// changes E the way a tool or a person does, waits until R's tree equals E's (bytes, exec bits,
// directories), and checks what must not happen on the way.
import { utimes, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, waitFor, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, syncedPair, type SyncedPair } from './support.js';

describe('editing patterns on E, continuous client on R', () => {
  let pair: SyncedPair;
  let client: SpawnedCli;

  beforeAll(async () => {
    pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'start.txt'), 'synced once\n');
    });
    client = spawnClient(pair.setup, ['--interval', '5']);
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await pair?.daemon.stop();
  });

  const converged = (what: string) => waitFor(() => sameTree(pair.r, pair.e), { timeoutMs: 30_000, what });

  it('a file dated before 1970 arrives with its date and does not hold up later changes', async () => {
    // `touch -d 1960-01-01`, or a tarball from a tool that wrote no dates.
    const old = path.join(pair.e, 'old.txt');
    await writeFile(old, 'from before the epoch\n');
    const before1970 = new Date('1960-01-01T00:00:00Z');
    await utimes(old, before1970, before1970);
    await writeFile(path.join(pair.e, 'after.txt'), 'written after it\n');
    await converged('R to receive a file dated 1960 and the one after it');
    expect(statSync(path.join(pair.r, 'old.txt')).mtimeMs).toBe(before1970.getTime());
    expect(client.stderr()).not.toMatch(/malformed/);
  });
});
