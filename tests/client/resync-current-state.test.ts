// A full resync compares R with E's current state, not with E's history. E's log holds f's older
// content in an early page (5,000 entries a page) and its current one in a later page; R edited
// the current one. Before: the resync replayed the early page, took its old content for E's change
// since R's base, moved R's edit to a conflict copy ("edited on R and E"), rewound f to the old
// content, then moved it forward again with the later page (two downloads of f, R's edit off its
// path). Now the resync asks E for each path's current entry only (GET_CHANGES current_only).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

describe('a full resync against E\'s current state', () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it("keeps R's edit of a file E has not changed since, though E's log shows an older content of it a page earlier (before: R's edit moved to a conflict copy)", async () => {
    const eDocs = tempDir('zync-e-docs-');
    const eExtra = tempDir('zync-e-extra-');
    await writeFile(path.join(eExtra, 'x.txt'), 'x\n');
    await writeFile(path.join(eDocs, 'f.txt'), 'v1\n');
    const d = (daemon = await startDaemon({ dirs: { docs: eDocs, extra: eExtra }, db: stateDb() }));
    await waitForDaemonToSee(d, 'docs', eDocs);
    // More than a page of entries between f's first content and its current one.
    for (let dir = 0; dir < 51; dir++) {
      await mkdir(path.join(eDocs, `d${dir}`));
      await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(path.join(eDocs, `d${dir}`, `f${i}.txt`), `${dir}/${i}\n`)));
    }
    await waitForDaemonToSee(d, 'docs', eDocs, 60_000);
    await writeFile(path.join(eDocs, 'f.txt'), 'v2 on E\n');
    await waitForDaemonToSee(d, 'docs', eDocs, 60_000);
    const r = tempDir('zync-r-');
    const docs: ClientSetup = { daemon: d, dirs: { docs: path.join(r, 'docs') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    const first = await runClientOnce(docs);
    expect(first.code, first.stderr).toBe(0);
    expect(await readFile(path.join(r, 'docs', 'f.txt'), 'utf8')).toBe('v2 on E\n');
    await writeFile(path.join(r, 'docs', 'f.txt'), "R's edit of v2\n");
    // A second name in --dirs: a full resync of both, from the start of E's log.
    const both = await runClientOnce({ ...docs, dirs: { ...docs.dirs, extra: path.join(r, 'extra') } });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).toMatch(/full resync/);
    expect(await readFile(path.join(r, 'docs', 'f.txt'), 'utf8')).toBe("R's edit of v2\n");
    expect(await conflictCopies(path.join(r, 'docs'))).toEqual([]);
    expect(await readFile(path.join(r, 'docs', 'd50', 'f99.txt'), 'utf8')).toBe('50/99\n');
    expect(await readFile(path.join(r, 'extra', 'x.txt'), 'utf8')).toBe('x\n');
  });
});
