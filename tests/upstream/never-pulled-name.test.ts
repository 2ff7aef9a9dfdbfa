// --update-upstream given a --dirs name this state has never pulled (its root seeded on R with a
// copy of E's files, say): R has no record of what E sent there, so every file in it would go to E
// as R's new file, and one E changed since as R's edit of it (a conflict whose --force reverts E).
// Refused (exit 13) with the pull to run first; once that pull has run, the upload sends nothing
// of E's back.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, spawnClient, stateDb, waitForDaemonToSee } from '../client/support.js';
import { runUpstream } from './support.js';

const Database = createRequire(new URL('../../packages/client/package.json', import.meta.url))('better-sqlite3') as typeof BetterSqlite3;

describe('--update-upstream of a name this state never pulled', () => {
  let daemon: DaemonHandle;
  let proxy: TcpProxy | undefined;
  const spawned: SpawnedCli[] = [];
  afterEach(async () => {
    for (const cli of spawned.splice(0)) await cli.stop('SIGKILL');
    await proxy?.close();
    proxy = undefined;
    await daemon?.stop();
  });

  it('is refused with the pull to run first, and after that pull sends nothing of E\'s', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    await writeFile(path.join(e2, 'n.txt'), "E's note\n");
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    const pulled = await runClientOnce({ daemon, dirs: { docs }, db });
    expect(pulled.code, pulled.stderr).toBe(0);
    // R seeds notes with a copy of E's (rsync); E changes its note afterwards.
    const notes = tempDir('zync-r-notes-');
    await cp(e2, notes, { recursive: true });
    await writeFile(path.join(e2, 'n.txt'), "E's note, edited on E\n");
    await waitForDaemonToSee(daemon, 'notes', e2);

    const refused = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(
      /--dirs notes: no pull has brought it up to date from E on this state yet, so R cannot tell E's files there from R's own \(all would be sent as R's new files\); pull first \(zync-client --once with these --dirs\), then --update-upstream again\. Nothing was sent\./,
    );
    expect(refused.stdout).not.toMatch(/Staged/);

    const both = await runClientOnce({ daemon, dirs: { docs, notes }, db });
    expect(both.code, both.stderr).toBe(0);
    const upload = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Nothing to send upstream/);
  });

  it('a name pulled before, left out of the last pull, still uploads', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    await writeFile(path.join(e2, 'n.txt'), "E's note\n");
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    const notes = tempDir('zync-r-notes-');
    expect((await runClientOnce({ daemon, dirs: { docs, notes }, db })).code).toBe(0);
    expect((await runClientOnce({ daemon, dirs: { docs }, db })).code).toBe(0);
    await writeFile(path.join(notes, 'mine.txt'), "R's own note\n");
    const upload = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)/);
  });

  it('a first pull of the name stopped (SIGTERM) before it ended: still refused, nothing of E\'s staged', async () => {
    const e1 = tempDir('zync-e1-');
    const e2 = tempDir('zync-e2-');
    await writeFile(path.join(e1, 'a.txt'), 'a\n');
    for (let d = 0; d < 10; d++) {
      await mkdir(path.join(e2, `d${d}`));
      for (let i = 0; i < 50; i++) await writeFile(path.join(e2, `d${d}`, `f${i}.txt`), `E's ${d}/${i}\n`);
    }
    daemon = await startDaemon({ dirs: { docs: e1, notes: e2 }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'docs', e1);
    await waitForDaemonToSee(daemon, 'notes', e2);
    // Latency on every chunk: the pull of notes is still under way when it is stopped.
    proxy = await startProxy({ targetPort: daemon.port, delayMs: 300 });
    const db = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const docs = tempDir('zync-r-docs-');
    expect((await runClientOnce({ daemon, dirs: { docs }, db })).code).toBe(0);
    const notes = tempDir('zync-r-notes-');
    await cp(e2, notes, { recursive: true });
    const cli = spawnClient({ daemon: { ...daemon, url: proxy.url }, dirs: { docs, notes }, db }, ['--once']);
    spawned.push(cli);
    // Stopped once that pull has taken notes on (the pull's first write for it).
    await waitFor(
      () => {
        const state = new Database(db, { readonly: true });
        try {
          const row = state.prepare("SELECT value FROM meta WHERE key = 'pulled_dirs'").get() as { value: string } | undefined;
          return (JSON.parse(row?.value ?? '[]') as string[]).includes('notes');
        } finally {
          state.close();
        }
      },
      { timeoutMs: 20_000, intervalMs: 5, what: 'the pull of notes under way' },
    );
    expect(await cli.stop('SIGTERM')).not.toBe(0);
    const refused = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(refused.code, refused.stdout + refused.stderr).toBe(13);
    expect(refused.stderr).toMatch(/--dirs notes: no pull has brought it up to date from E on this state yet/);
    expect(refused.stdout).not.toMatch(/Staged/);
    const pulled = await runClientOnce({ daemon, dirs: { docs, notes }, db });
    expect(pulled.code, pulled.stderr).toBe(0);
    const upload = await runUpstream({ daemon, dirs: { docs, notes }, db });
    expect(upload.code, upload.stdout + upload.stderr).toBe(0);
    expect(upload.stdout).toMatch(/Nothing to send upstream/);
  });
});
