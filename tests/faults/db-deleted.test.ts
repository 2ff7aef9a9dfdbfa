// The daemon's database deleted while clients hold cursors into it: the daemon is stopped, its
// sync.db (with -wal and -shm) removed, E changes meanwhile, and the daemon restarts on the same
// port with a fresh database (a new log_id, sequences from 1 again). Two continuous clients
// reconnect by themselves, notice the foreign log_id and resync against E's current state:
// they converge, R's own edits are kept, nothing R holds is lost, and each one afterwards follows
// the new log as usual.
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type SpawnedCli, type TreeEntry } from '../helpers/index.js';
import { conflictCopies, spawnClient, stateDb, writeTree, type ClientSetup } from '../client/support.js';

describe('the daemon database deleted under clients', () => {
  let e: string;
  const rs: string[] = [];
  let daemon: DaemonHandle;
  const clients: SpawnedCli[] = [];

  beforeAll(async () => {
    e = tempDir('zync-e-');
    await writeTree(e, 200, 20);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    for (let i = 0; i < 2; i++) {
      const r = tempDir('zync-r-');
      rs.push(r);
      const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      clients.push(spawnClient(setup, ['--interval', '1']));
    }
    for (const r of rs) await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    for (const c of clients) await c.stop('SIGKILL');
    await daemon?.stop();
  });

  it('clients resync against the new log, keep their edits and converge', async () => {
    const files = Object.keys(await treeDigest(e)).filter((p) => p.endsWith('.bin')).sort();
    const [a, b, c, d] = files;
    await daemon.stop('SIGTERM');
    for (const suffix of ['', '-wal', '-shm']) await rm(`${daemon.db}${suffix}`, { force: true });

    // While the daemon is down: R0 edits a file and makes one; E modifies, deletes and adds.
    await writeFile(path.join(rs[0]!, a!), 'edited on R0 while the daemon was gone\n');
    await writeFile(path.join(rs[0]!, 'r0-new.txt'), 'made on R0\n');
    await writeFile(path.join(e, b!), 'modified on E\n');
    await rm(path.join(e, c!));
    await writeFile(path.join(e, 'e-new.txt'), 'made on E\n');

    daemon = await startDaemon({ dirs: { docs: e }, db: daemon.db, port: daemon.port });
    expect(daemon.stderr()).toMatch(/scan: \d+ files, \d+ hashed, \d+ changes logged/);

    const expectedFor = async (r: string): Promise<Record<string, TreeEntry>> => {
      const expected = { ...(await treeDigest(e)) };
      if (r === rs[0]) {
        const onR = await treeDigest(r);
        expected[a!] = onR[a!]!;
        expected['r0-new.txt'] = onR['r0-new.txt']!;
      }
      return expected;
    };
    for (const r of rs) {
      await waitFor(async () => JSON.stringify(sortKeys(await treeDigest(r))) === JSON.stringify(sortKeys(await expectedFor(r))), {
        timeoutMs: 30_000,
        what: `${r} to converge after the database was recreated`,
      });
    }
    for (const client of clients) {
      expect(client.stderr()).toMatch(/full resync: the daemon's change log was recreated/);
      expect(client.proc.exitCode).toBeNull();
    }
    expect(await readFile(path.join(rs[0]!, a!), 'utf8')).toBe('edited on R0 while the daemon was gone\n');
    for (const r of rs) expect(await conflictCopies(r)).toEqual([]);

    // Both follow the new log from here.
    await writeFile(path.join(e, d!), 'after the recreation\n');
    for (const r of rs) {
      await waitFor(async () => (await readFile(path.join(r, d!), 'utf8').catch(() => '')) === 'after the recreation\n', {
        timeoutMs: 20_000,
        what: 'a change after the resync to arrive',
      });
    }
  });
});

function sortKeys(o: Record<string, TreeEntry>): [string, TreeEntry][] {
  return Object.keys(o)
    .sort()
    .map((k) => [k, o[k]!]);
}
