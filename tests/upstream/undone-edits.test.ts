// R stages edits, then undoes them before E applies anything: it removes a file it had made,
// puts back the content of a file it had edited and of one it had deleted. R's scan sees no
// change at those paths (R holds what it received), yet the first session still holds the edits:
// the next --update-upstream sends what R holds now, so that E, applying the sessions in either
// order, ends as R is, and R's next pull brings none of the undone edits back.
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists, expectSameTree } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

async function stagedThenUndone() {
  const pair = await syncedPair(async (e) => {
    await writeFile(path.join(e, 'edited.txt'), 'base\n');
    await writeFile(path.join(e, 'deleted.txt'), 'base\n');
  });
  await writeFile(path.join(pair.r, 'made.txt'), 'R made this\n');
  await writeFile(path.join(pair.r, 'edited.txt'), 'R edit\n');
  await rm(path.join(pair.r, 'deleted.txt'));
  const first = await runUpstream(pair.setup);
  expect(first.code, first.stderr).toBe(0);
  await rm(path.join(pair.r, 'made.txt'));
  await writeFile(path.join(pair.r, 'edited.txt'), 'base\n');
  await writeFile(path.join(pair.r, 'deleted.txt'), 'base\n');
  const second = await runUpstream(pair.setup);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout).toMatch(/Staged 3 changes upstream as session \S+ \(0 added, 2 modified, 1 deleted; 0 conflicts\)/);
  expect(second.stdout).toContain(`undone on R: docs/made.txt (staged in ${stagingIdFrom(first.stdout)}; sent as R holds it now)`);
  return { ...pair, older: stagingIdFrom(first.stdout), newer: stagingIdFrom(second.stdout) };
}

describe('upstream: edits R staged and then undid', () => {
  it.each([
    ['in order', false],
    ['newer first', true],
  ])('applied %s, E and R end as R is; nothing undone comes back', async (_name, newerFirst) => {
    const { e, r, daemon, setup, older, newer } = await stagedThenUndone();
    try {
      for (const id of newerFirst ? [newer, older] : [older, newer]) {
        const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
        expect(applied.code, applied.stderr).toBe(0);
      }
      expect(await exists(path.join(e, 'made.txt'))).toBe(false);
      expect(await readFile(path.join(e, 'edited.txt'), 'utf8')).toBe('base\n');
      expect(await readFile(path.join(e, 'deleted.txt'), 'utf8')).toBe('base\n');

      await waitForDaemonToSee(daemon, 'docs', e);
      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      await expectSameTree(r, e);
      expect(await conflictCopies(r)).toEqual([]);
      const again = await runUpstream(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Nothing to send upstream/m);
    } finally {
      await daemon.stop();
    }
  });
});
