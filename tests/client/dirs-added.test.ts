// zync-client's --dirs may name fewer of the daemon's roots in one run than in another. A root
// left out of a run is not pulled by it, although the run acknowledges its log: a later run that
// names that root again must still bring what E changed there meanwhile, and a root named for
// the first time by an existing client state must arrive whole.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSameTree, startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb, waitForDaemonToSee, type ClientSetup } from './support.js';

describe('zync-client --dirs naming other roots than the last run', () => {
  let daemon: DaemonHandle | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  async function twoRoots(): Promise<{ eDocs: string; eCode: string; rDocs: string; rCode: string; db: string; d: DaemonHandle }> {
    const eDocs = tempDir('zync-e-docs-');
    const eCode = tempDir('zync-e-code-');
    await writeFile(path.join(eDocs, 'readme.txt'), 'docs\n');
    await mkdir(path.join(eCode, 'src'));
    await writeFile(path.join(eCode, 'src/main.c'), 'int main(void) { return 0; }\n');
    daemon = await startDaemon({ dirs: { docs: eDocs, code: eCode }, db: stateDb() });
    await waitForDaemonToSee(daemon, 'code', eCode);
    const r = tempDir('zync-r-');
    return { eDocs, eCode, rDocs: path.join(r, 'docs'), rCode: path.join(r, 'code'), db: path.join(tempDir('zync-rstate-'), 'sync_client.db'), d: daemon };
  }

  it('brings a root named for the first time whole, though the log was pulled for another root', async () => {
    const { eDocs, eCode, rDocs, rCode, db, d } = await twoRoots();
    const docsOnly: ClientSetup = { daemon: d, dirs: { docs: rDocs }, db };
    const first = await runClientOnce(docsOnly);
    expect(first.code, first.stderr).toBe(0);
    await expectSameTree(rDocs, eDocs);

    const both: ClientSetup = { daemon: d, dirs: { docs: rDocs, code: rCode }, db };
    const second = await runClientOnce(both);
    expect(second.code, second.stderr).toBe(0);
    await expectSameTree(rCode, eCode);
    await expectSameTree(rDocs, eDocs);
  });

  it("brings what E changed in a root while a run left it out", async () => {
    const { eDocs, eCode, rDocs, rCode, db, d } = await twoRoots();
    const both: ClientSetup = { daemon: d, dirs: { docs: rDocs, code: rCode }, db };
    const first = await runClientOnce(both);
    expect(first.code, first.stderr).toBe(0);
    await expectSameTree(rCode, eCode);

    await writeFile(path.join(eCode, 'src/main.c'), 'int main(void) { return 1; }\n');
    await writeFile(path.join(eCode, 'src/util.c'), 'void util(void) {}\n');
    await rm(path.join(eDocs, 'readme.txt'));
    await waitForDaemonToSee(d, 'code', eCode);
    await waitForDaemonToSee(d, 'docs', eDocs);
    const docsOnly = await runClientOnce({ daemon: d, dirs: { docs: rDocs }, db });
    expect(docsOnly.code, docsOnly.stderr).toBe(0);
    await expectSameTree(rDocs, eDocs);

    const again = await runClientOnce(both);
    expect(again.code, again.stderr).toBe(0);
    await expectSameTree(rCode, eCode);
    // Nothing of R's was in the way: no conflict copies, and the unchanged file is not fetched again.
    expect(again.stderr).toMatch(/ 0 conflict\(s\)/);
    expect(again.stderr).toMatch(/ 2 file\(s\) downloaded/);
  });
});
