// E applies R's session after logging more than one page of changes (GET_CHANGES pages hold up to
// 5,000 entries) since its own earlier change to the session's files: R's next pull sees E's
// earlier entry in one page and the apply's entry (R's content written, or E's kept file logged
// again) in a later one. R waits for the apply's entry instead of reading the session as "not
// taken" against the earlier one: R ends with E's file, and keeps its edit as a conflict copy only
// where E's final content is not R's — once. Before: R's edits that E took were also kept as
// conflict copies identical to the files the later page brought.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonHandle } from '../helpers/index.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, writeTree, type ClientSetup } from '../client/support.js';
import { KEY, runInPty, runUpstream, stagingIdFrom } from './support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('upstream: a session applied a page of changes after E’s own change to its files', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'taken.txt'), 'taken base\n');
      await writeFile(path.join(e, 'kept.txt'), 'kept base\n');
      await writeFile(path.join(e, 'kept.sh'), 'kept.sh base\n', { mode: 0o644 });
      await writeFile(path.join(e, 'merged.sh'), 'merged base\n', { mode: 0o644 });
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('R ends with E’s files, with a conflict copy only of the edits E did not take', async () => {
    await writeFile(path.join(r, 'taken.txt'), 'taken from R\n');
    await writeFile(path.join(r, 'kept.txt'), 'kept from R\n');
    await writeFile(path.join(r, 'kept.sh'), 'kept.sh from R\n');
    await chmod(path.join(r, 'kept.sh'), 0o700);
    await writeFile(path.join(r, 'merged.sh'), 'merged from R\n');
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);

    // E's own changes, then more than a page of others before the apply.
    await writeFile(path.join(e, 'taken.txt'), 'taken from E\n');
    await writeFile(path.join(e, 'kept.txt'), 'kept from E\n');
    await chmod(path.join(e, 'kept.sh'), 0o755); // E's chmod alone: E's kept file is logged again
    await chmod(path.join(e, 'merged.sh'), 0o755); // no conflict: R's content with E's bits
    await waitForDaemonToSee(daemon, 'docs', e);
    await writeTree(path.join(e, 'many'), 5100, 100);
    await waitForDaemonToSee(daemon, 'docs', e, 120_000);

    const term = runInPty('apply', ['--db', daemon.db, 'apply', id]);
    try {
      let at = 0;
      for (let n = 1; n <= 3; n++) {
        at = await term.waitForText(`Conflict ${n} of 3: docs/`, at);
        const taken = term.output().slice(at).startsWith('taken.txt');
        at = await term.waitForText('what should E keep?', at);
        term.type(`${taken ? 'u' : 'e'}${KEY.enter}`);
      }
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    const expected: [string, string, number][] = [
      ['taken.txt', 'taken from R\n', 0o644],
      ['kept.txt', 'kept from E\n', 0o644],
      ['kept.sh', 'kept.sh base\n', 0o755],
      ['merged.sh', 'merged from R\n', 0o755],
    ];
    for (const [name, text, mode] of expected) {
      expect(await readFile(path.join(r, name), 'utf8'), name).toBe(text);
      expect(await readFile(path.join(e, name), 'utf8'), name).toBe(text);
      expect(await modeOf(path.join(r, name)), name).toBe(mode);
    }
    // By what they hold: the copies' times (and so their order) may differ by a second.
    const copies = new Map<string, string>();
    for (const copy of await conflictCopies(r)) copies.set(copy.replace(/-\d{8}-\d{6}-/, '-T-'), await readFile(path.join(r, copy), 'utf8'));
    expect(copies).toEqual(
      new Map([
        ['kept.zync-conflict-T-R.sh', 'kept.sh from R\n'],
        ['kept.zync-conflict-T-R.txt', 'kept from R\n'],
      ]),
    );
    expect(pulled.stderr).not.toMatch(/conflict: docs\/(taken\.txt|merged\.sh)/);

    // Settled: nothing goes upstream, and nothing is said to be on its way to R.
    const upstream = await runUpstream(setup);
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toContain('Nothing to send upstream');
    expect(upstream.stdout).not.toContain('next pull');
  }, 240_000);
});

// The same, where an earlier run of the apply changed nothing (the person quit at its first
// prompt) before E changed the file: where the log stood is noted at the run that applies, not
// kept from that first run, or E's change would pass for one made after the apply began and R
// would keep its edit E took as a conflict copy.
describe('upstream: a session applied after an earlier run of the apply that changed nothing', () => {
  it('R takes the edit E took, with no conflict copy', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a-first.txt'), 'first base\n');
      await writeFile(path.join(e, 'taken.txt'), 'taken base\n');
    });
    try {
      await writeFile(path.join(e, 'a-first.txt'), 'first from E\n'); // a conflict, asked first
      await writeFile(path.join(r, 'a-first.txt'), 'first from R\n');
      await writeFile(path.join(r, 'taken.txt'), 'taken from R\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);

      const look = runInPty('apply', ['--db', daemon.db, 'apply', id]);
      try {
        await look.waitForText('what should E keep?');
        look.type(`q${KEY.enter}`);
        expect(await look.exited).toBe(9);
      } finally {
        look.kill();
      }

      await writeFile(path.join(e, 'taken.txt'), 'taken from E\n');
      await waitForDaemonToSee(daemon, 'docs', e);
      await writeTree(path.join(e, 'many'), 5100, 100);
      await waitForDaemonToSee(daemon, 'docs', e, 120_000);

      const term = runInPty('apply', ['--db', daemon.db, 'apply', id]);
      try {
        let at = 0;
        for (let n = 1; n <= 2; n++) {
          at = await term.waitForText(`Conflict ${n} of 2: docs/`, at);
          const taken = term.output().slice(at).startsWith('taken.txt');
          at = await term.waitForText('what should E keep?', at);
          term.type(`${taken ? 'u' : 'e'}${KEY.enter}`);
        }
        await term.waitForText('Applied session', at);
        expect(await term.exited).toBe(0);
      } finally {
        term.kill();
      }

      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await readFile(path.join(r, 'taken.txt'), 'utf8')).toBe('taken from R\n');
      expect((await conflictCopies(r)).filter((c) => c.startsWith('taken.'))).toEqual([]);
    } finally {
      await daemon.stop();
    }
  }, 240_000);
});
