// Both sides edit a file, R sends its edit, and E's person keeps E's version — with R's beside it
// ("keep both"), without it ("keep E's"), or drops the session (discard). After R's next pull, R's
// edit exists exactly once on each side that keeps it: E's keep-both copy is a conflict copy,
// which E never logs nor serves, so it never reaches R; R keeps its own edit as its conflict copy
// (it is R's only copy of it). With "keep E's" and discard, E holds no copy, so R's is the only
// one; taking E's file there without it would lose R's edit.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeDigest, type DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

/** The files below root (conflict copies included) that hold exactly `text`. */
async function filesHolding(root: string, text: string): Promise<string[]> {
  const tree = await treeDigest(root, { includeConflictCopies: true });
  const wanted = createHash('sha256').update(text).digest('hex');
  return Object.entries(tree)
    .filter(([, entry]) => entry.kind === 'file' && entry.sha256 === wanted)
    .map(([rel]) => rel)
    .sort();
}

describe('upstream conflict kept on E: R’s edit is kept once on each side', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'x.txt'), 'x base\n');
      await writeFile(path.join(e, 'y.txt'), 'y base\n');
      await writeFile(path.join(e, 'z.txt'), 'z base\n');
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('keep both and keep E’s: one copy of R’s edit on R and, for keep both, one on E', async () => {
    for (const name of ['x', 'y']) {
      await writeFile(path.join(e, `${name}.txt`), `${name} E edit\n`);
      await writeFile(path.join(r, `${name}.txt`), `${name} R edit\n`);
    }
    await waitForDaemonToSee(daemon, 'docs', e);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.stdout).toContain('2 conflicts');
    const id = stagingIdFrom(staged.stdout);

    const term = runInPty('apply', ['--db', daemon.db, 'apply', id]);
    try {
      let at = await term.waitForText('Conflict 1 of 2: docs/x.txt');
      at = await term.waitForText('what should E keep?', at);
      term.type(`b${KEY.enter}`); // keep both
      at = await term.waitForText('Conflict 2 of 2: docs/y.txt', at);
      at = await term.waitForText('what should E keep?', at);
      term.type(KEY.enter); // Enter alone: keep E's
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(await conflictCopies(e)).toEqual([expect.stringMatching(/^x\.zync-conflict-\d{8}-\d{6}-upstream\.txt$/)]);

    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    for (const name of ['x', 'y']) {
      expect(await readFile(path.join(r, `${name}.txt`), 'utf8')).toBe(`${name} E edit\n`);
      expect(await filesHolding(r, `${name} R edit\n`)).toEqual([expect.stringMatching(new RegExp(`^${name}\\.zync-conflict-\\d{8}-\\d{6}-R\\.txt$`))]);
    }
    expect(await filesHolding(e, 'x R edit\n')).toEqual([expect.stringMatching(/^x\.zync-conflict-.*-upstream\.txt$/)]);
    expect(await filesHolding(e, 'y R edit\n')).toEqual([]);

    // Settled: another pull brings nothing (E's copy included), and nothing goes upstream again.
    const again = await runClientOnce(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(await conflictCopies(r)).toHaveLength(2);
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toContain('Nothing to send upstream');
    expect((await listSessions(daemon)).map((s) => s.staging_id)).toEqual([id]);
  });

  it('a discarded session: R keeps its edit as its conflict copy, E holds none', async () => {
    await writeFile(path.join(e, 'z.txt'), 'z E edit\n');
    await writeFile(path.join(r, 'z.txt'), 'z R edit\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);
    const discarded = await runApply(daemon, ['discard', id, '--non-interactive']);
    expect(discarded.code, discarded.stderr).toBe(0);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(path.join(r, 'z.txt'), 'utf8')).toBe('z E edit\n');
    expect(await filesHolding(r, 'z R edit\n')).toEqual([expect.stringMatching(/^z\.zync-conflict-\d{8}-\d{6}-R\.txt$/)]);
    expect(await filesHolding(e, 'z R edit\n')).toEqual([]);
  });
});
