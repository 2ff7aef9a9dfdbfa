// E's person keeps E's version over R's staged edit where E's own change was a chmod alone (or
// where R's was): E's content is still the base R edited, so nothing in E's earlier entry told R
// that its edit lost. zync-apply logs E's kept file again as it marks the session applied, and R's
// next pull, told by E that the session is applied, keeps R's edit as a conflict copy (R's chmod
// alone gives way with a line) and takes E's file. Before: R kept its edit and E its file for good,
// and every --update-upstream said the change "reaches R at its next pull".
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { KEY, runInPty, runUpstream, stagingIdFrom } from './support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('upstream: keep E’s over R’s edit where one side only chmodded', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'f.sh'), 'f1\n', { mode: 0o644 });
      await writeFile(path.join(e, 'g.sh'), 'g1\n', { mode: 0o644 });
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** Applies the session in a terminal, answering each conflict with `answer` then Enter. */
  async function applyKeepingE(id: string, answer: string): Promise<void> {
    const term = runInPty('apply', ['--db', daemon.db, 'apply', id]);
    try {
      let at = await term.waitForText('what should E keep?');
      term.type(`${answer}${KEY.enter}`);
      at = await term.waitForText('Applied session', at);
      await term.waitForText("1 kept E's version", at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
  }

  it('R edited and chmodded, E chmodded: R ends with E’s file, its edit as a conflict copy', async () => {
    await writeFile(path.join(r, 'f.sh'), 'f2 from R\n');
    await chmod(path.join(r, 'f.sh'), 0o700);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);

    await chmod(path.join(e, 'f.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);
    const before = await runClientOnce(setup); // R's edit waits for the apply meanwhile
    expect(before.code, before.stderr).toBe(0);
    expect(await readFile(path.join(r, 'f.sh'), 'utf8')).toBe('f2 from R\n');

    await applyKeepingE(id, ''); // Enter alone: keep E's
    expect(await readFile(path.join(e, 'f.sh'), 'utf8')).toBe('f1\n');
    expect(await modeOf(path.join(e, 'f.sh'))).toBe(0o755);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/conflict: docs\/f\.sh .*R's version is kept as docs\/f\.zync-conflict-\d{8}-\d{6}-R\.sh/);
    expect(await readFile(path.join(r, 'f.sh'), 'utf8')).toBe('f1\n');
    expect(await modeOf(path.join(r, 'f.sh'))).toBe(0o755);
    const [copy] = await conflictCopies(r);
    expect(copy).toMatch(/^f\.zync-conflict-\d{8}-\d{6}-R\.sh$/);
    expect(await readFile(path.join(r, copy!), 'utf8')).toBe('f2 from R\n');
    expect(await modeOf(path.join(r, copy!))).toBe(0o700);

    // Settled: nothing goes upstream, and nothing is said to be on its way to R.
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toContain('Nothing to send upstream');
    expect(upstream.stdout).not.toContain('next pull');
  });

  it('R chmodded, E changed the content: R ends with E’s file and bits, said in one line', async () => {
    await chmod(path.join(r, 'g.sh'), 0o700);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);

    await writeFile(path.join(e, 'g.sh'), 'g3 from E\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    await applyKeepingE(id, 'e');

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/permissions: docs\/g\.sh .*700.*it has E's 644 now/);
    expect(await readFile(path.join(r, 'g.sh'), 'utf8')).toBe('g3 from E\n');
    expect(await modeOf(path.join(r, 'g.sh'))).toBe(0o644);

    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toContain('Nothing to send upstream');
  });
});
