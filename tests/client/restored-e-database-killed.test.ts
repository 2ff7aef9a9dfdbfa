// E's database restored from an older copy, and the resync that follows killed -9 while a large
// file of the page downloads. A file E deleted that R put back (same bytes) has no record, so R
// cannot tell it from E's old file: it is kept as a conflict copy, never deleted. The killed batch
// noted the content E's deletion removed, but it never writes that content (placed: false), so that
// note does not make R's file one the batch placed (core/local-edits.ts mayAdoptUnordered).
import { copyFile, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, spawnCli, startDaemon, tempDir, waitFor, writeRandomFile, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

const BIG = 120 * 1024 * 1024;

async function copyDb(from: string, to: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) {
    await rm(to + suffix, { force: true });
    if (existsSync(from + suffix)) await copyFile(from + suffix, to + suffix);
  }
}

describe("a resync after E's database was restored, killed -9", () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it("keeps the file R put back after E's deletion, as a conflict copy", async () => {
    const eDocs = tempDir('zync-e-docs-');
    await writeFile(path.join(eDocs, 'f.txt'), 'v1\n');
    const db = stateDb();
    const backup = path.join(tempDir('zync-backup-'), 'sync.db');
    let d = (daemon = await startDaemon({ dirs: { docs: eDocs }, db }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    const rDocs = tempDir('zync-r-');
    const rdb = path.join(tempDir('zync-rstate-'), 'sync_client.db');
    const setup = (): ClientSetup => ({ daemon: d, dirs: { docs: rDocs }, db: rdb });
    expect((await runClientOnce(setup())).code).toBe(0);
    await d.stop();
    await copyDb(db, backup);
    d = daemon = await startDaemon({ dirs: { docs: eDocs }, db });
    await rm(path.join(eDocs, 'f.txt'));
    for (let i = 0; i < 5; i++) await writeFile(path.join(eDocs, `g${i}.txt`), `g${i}\n`);
    await waitForDaemonToSee(d, 'docs', eDocs);
    const pulled = await runClientOnce(setup());
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await exists(path.join(rDocs, 'f.txt'))).toBe(false);
    // R puts f back (content E held, then deleted).
    await writeFile(path.join(rDocs, 'f.txt'), 'v1\n');
    for (let i = 0; i < 5; i++) await rm(path.join(eDocs, `g${i}.txt`));
    await waitForDaemonToSee(d, 'docs', eDocs);
    await d.stop();
    await copyDb(backup, db);
    await writeRandomFile(path.join(eDocs, 'big.bin'), BIG);
    d = daemon = await startDaemon({ dirs: { docs: eDocs }, db });
    await waitForDaemonToSee(d, 'docs', eDocs, 60_000);
    {
      const client = spawnCli('client', clientArgs(setup(), ['--once']));
      await waitFor(
        async () => {
          const names = await readdir(rDocs).catch(() => [] as string[]);
          for (const name of names.filter((n) => n.startsWith('.zync-tmp-'))) {
            const info = await stat(path.join(rDocs, name)).catch(() => null);
            if (info && info.size > 1024 * 1024 && info.size < BIG) return true;
          }
          return false;
        },
        { timeoutMs: 60_000, intervalMs: 5, what: 'big.bin partly written' },
      );
      await client.kill9();
    }
    const again = await runClientOnce(setup());
    expect(again.code, again.stderr).toBe(0);
    const copies = await conflictCopies(rDocs);
    const f = (await exists(path.join(rDocs, 'f.txt'))) ? await readFile(path.join(rDocs, 'f.txt'), 'utf8') : null;
    const kept = await Promise.all(copies.filter((c) => c.startsWith('f.')).map((c) => readFile(path.join(rDocs, c), 'utf8')));
    expect([f, ...kept], again.stderr).toContain('v1\n');
  });
});
