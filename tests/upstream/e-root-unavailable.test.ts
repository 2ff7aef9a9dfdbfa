// One of E's roots is missing while the daemon runs (moved away, a disk not mounted) and R runs
// --update-upstream with edits there and in another root. E refuses that root's entries with
// ROOT_UNAVAILABLE as each is announced, before its bytes; R leaves them out and keeps them, stages
// its other edits, and says in one sentence which root and what to do (exit 11, as for any
// left-out entry). The daemon logs one warning, no error or stack trace. With nothing else to
// send, no session is staged, and the one opened is recorded as aborted for that reason. Once the
// root is back, the next --update-upstream sends them. (Before: "The daemon failed to stage this
// entry; see its log.", exit 1, nothing of R's other edits staged, an ENOENT stack in E's log, and
// the session aborted as "connection closed before FINALIZE_UPSTREAM".)
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/index.js';
import { pairWithEDocsMoved, type TwoRootPair } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

describe("upstream: one of E's roots is unavailable", () => {
  let pair: TwoRootPair;
  beforeAll(async () => {
    pair = await pairWithEDocsMoved();
  });
  afterAll(async () => {
    await pair?.daemon.stop();
  });

  const refusedLine = (paths: string) =>
    `zync-client: left out: ${paths} on R: E's root "docs" is missing or not a directory; nothing was staged for it — ` +
    'restore or mount it on E, then run --update-upstream again.\n';

  it('stages no session when every change is in that root, and records why the one opened was aborted', async () => {
    await writeFile(path.join(pair.r.docs, 'r2.txt'), 'R new in docs\n');
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(refusedLine('docs/r2.txt stays'));
    expect(result.stdout).toMatch(/^Nothing staged upstream: every change was left out\.$/m);
    await waitFor(async () => (await listSessions(pair.daemon)).some((s) => s.status === 'aborted'), { what: 'the opened session to be aborted' });
    expect((await listSessions(pair.daemon)).map((s) => [s.status, s.reason])).toEqual([
      ['aborted', `E's root "docs" was unavailable, so R's entries there were refused; R's upload ended before it finished`],
    ]);
    expect(pair.daemon.stderr()).toMatch(/upstream entries refused: E's root \\?"docs\\?" is missing or not a directory/);
    expect(pair.daemon.stderr()).not.toMatch(/upstream staging failed|ENOENT|realpath/);
  });

  it("stages R's edits in the other roots and leaves that root's out, kept on R", async () => {
    await writeFile(path.join(pair.r.docs, 'r3.txt'), 'another R file in docs\n');
    await writeFile(path.join(pair.r.code, 'code1.txt'), 'code v2, edited on R\n');
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(refusedLine('docs/r2.txt, docs/r3.txt stay'));
    expect(result.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);
    const stagingId = stagingIdFrom(result.stdout);
    const shown = await runApply(pair.daemon, ['show', stagingId, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as { entries: { base_dir: string; path: string }[] }).entries.map((x) => `${x.base_dir}/${x.path}`)).toEqual(['code/code1.txt']);
    expect(await readFile(path.join(pair.r.docs, 'r2.txt'), 'utf8')).toBe('R new in docs\n');
    expect(pair.daemon.stderr()).not.toMatch(/upstream staging failed|ENOENT/);
  });

  it('sends them once the root is back', async () => {
    await rename(`${pair.e.docs}.moved`, pair.e.docs);
    await waitFor(() => pair.daemon.stderr().includes('root "docs" is back'), { what: 'the root to be back' });
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Staged 2 changes upstream as session \S+ \(2 added, 0 modified, 0 deleted; 0 conflicts\)\./m);
  });
});
