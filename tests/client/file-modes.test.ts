// A file's permission bits merge apart from its content, against the bits R last received, as
// git merges a mode change on one side with a content change on the other. R's `chmod +x`
// survives E's content change on pull and then goes upstream as a permission change (before, E's
// content and E's bits replaced R's file silently); E's chmod reaches R's content edit at the pull
// (before, only once R's edit had gone upstream and been applied), staged or not; different
// chmods on both sides leave E's bits, said in one line. R's chmod of a file E deletes is kept in
// a conflict copy, and follows a file E renames (before, both were lost without a word).
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeDigest, type DaemonHandle } from '../helpers/index.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';
import { conflictCopies, runClientOnce, syncedPair, waitForDaemonToSee, type ClientSetup } from './support.js';

/** Too large for a GET_FILES batch: streamed with GET_FILE, the other way a file is written. */
const BIG = 300 * 1024;
/** Large enough to be copied by a stream of its own rather than in a batch of small copies. */
const LARGE_COPY = 1024 * 1024;
const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('permission bits merge apart from content on pull', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  const onE = (p: string) => path.join(e, p);
  const onR = (p: string) => path.join(r, p);
  const text = (p: string) => readFile(p, 'utf8');

  beforeAll(async () => {
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'tool.sh'), '#!/bin/sh\necho v1\n', { mode: 0o644 });
      await writeFile(path.join(e, 'notes.sh'), '#!/bin/sh\necho notes\n', { mode: 0o644 });
      await writeFile(path.join(e, 'both.txt'), 'both v1\n', { mode: 0o644 });
      await writeFile(path.join(e, 'edited.txt'), 'edited v1\n', { mode: 0o644 });
      await writeFile(path.join(e, 'big.bin'), Buffer.alloc(BIG, 1), { mode: 0o644 });
      // Contents R holds already, which E then puts elsewhere too: copied locally on R.
      await writeFile(path.join(e, 'src.bin'), Buffer.alloc(LARGE_COPY, 3), { mode: 0o644 });
      await writeFile(path.join(e, 'src.txt'), 'small source\n', { mode: 0o644 });
      for (const name of ['copied.bin', 'copied-both.bin']) await writeFile(path.join(e, name), Buffer.alloc(LARGE_COPY, 4), { mode: 0o644 });
      for (const name of ['copied.txt', 'copied-both.txt']) await writeFile(path.join(e, name), 'small v1\n', { mode: 0o644 });
      for (const name of ['gone.sh', 'moved.sh', 'staged.sh', 'back.sh']) await writeFile(path.join(e, name), `#!/bin/sh\necho ${name}\n`, { mode: 0o644 });
    }));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** Sends R's edits, applies the session on E, and pulls what E logged back to R. */
  const roundTrip = async (expected: RegExp) => {
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(expected);
    const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).not.toMatch(/conflict:/);
  };

  it("keeps R's chmod +x through E's content change, and sends it upstream as a permission change", async () => {
    await chmod(onR('tool.sh'), 0o755);
    await chmod(onR('big.bin'), 0o600);
    await writeFile(onE('tool.sh'), '#!/bin/sh\necho v2 from E\n');
    await writeFile(onE('big.bin'), Buffer.alloc(BIG, 2));
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('tool.sh'))).toBe('#!/bin/sh\necho v2 from E\n');
    expect(await modeOf(onR('tool.sh'))).toBe(0o755);
    expect(await modeOf(onE('tool.sh'))).toBe(0o644);
    expect((await readFile(onR('big.bin'))).equals(Buffer.alloc(BIG, 2))).toBe(true);
    expect(await modeOf(onR('big.bin'))).toBe(0o600);
    expect(await conflictCopies(r)).toEqual([]);
    expect(pulled.stderr).not.toMatch(/conflict:|permissions:/);

    await roundTrip(/\(0 added, 2 modified, 0 deleted; 0 conflicts\)/);
    expect(await text(onE('tool.sh'))).toBe('#!/bin/sh\necho v2 from E\n');
    expect(await modeOf(onE('tool.sh'))).toBe(0o755);
    expect(await modeOf(onE('big.bin'))).toBe(0o600);
    expect(await modeOf(onR('big.bin'))).toBe(0o600);
    expect(await modeOf(onR('tool.sh'))).toBe(0o755);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/Nothing to send upstream/);
  });

  it("gives R's content edit E's chmod at the pull, keeping R's edit to send", async () => {
    await writeFile(onR('notes.sh'), '#!/bin/sh\necho notes from R\n');
    await chmod(onE('notes.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('notes.sh'))).toBe('#!/bin/sh\necho notes from R\n');
    expect(await modeOf(onR('notes.sh'))).toBe(0o755);
    expect(await text(onE('notes.sh'))).toBe('#!/bin/sh\necho notes\n');
    expect(await modeOf(onE('notes.sh'))).toBe(0o755);
    expect(await conflictCopies(r)).toEqual([]);
    expect(pulled.stderr).not.toMatch(/conflict:|permissions:/);

    await roundTrip(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    expect(await text(onE('notes.sh'))).toBe('#!/bin/sh\necho notes from R\n');
    expect(await modeOf(onE('notes.sh'))).toBe(0o755);
    expect(await modeOf(onR('notes.sh'))).toBe(0o755);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
  });

  it("leaves E's bits where both sides made different chmods, and says so in one line; a conflict copy keeps R's", async () => {
    await chmod(onR('both.txt'), 0o600);
    await writeFile(onR('edited.txt'), 'edited by R\n');
    await chmod(onR('edited.txt'), 0o600);
    for (const name of ['both.txt', 'edited.txt']) {
      await writeFile(onE(name), `${name} from E\n`);
      await chmod(onE(name), 0o700);
    }
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('both.txt'))).toBe('both.txt from E\n');
    expect(await modeOf(onR('both.txt'))).toBe(0o700);
    expect(await text(onR('edited.txt'))).toBe('edited.txt from E\n');
    expect(await modeOf(onR('edited.txt'))).toBe(0o700);
    // R's edit went to a conflict copy, with R's bits: nothing more to say about them.
    const [copy, ...more] = await conflictCopies(r);
    expect(more).toEqual([]);
    expect(await text(onR(copy!))).toBe('edited by R\n');
    expect(await modeOf(onR(copy!))).toBe(0o600);
    expect(pulled.stderr.match(/permissions: .*/g)).toEqual([expect.stringContaining('docs/both.txt was chmodded on R (600) and on E (700)')]);
    const again = await runUpstream(setup);
    expect(again.stdout + again.stderr).toMatch(/Nothing to send upstream/);
  });

  it("merges the bits the same way when E's new content is one R holds elsewhere (a local copy, small or large)", async () => {
    for (const name of ['copied.bin', 'copied.txt']) await chmod(onR(name), 0o755);
    for (const name of ['copied-both.bin', 'copied-both.txt']) await chmod(onR(name), 0o600);
    for (const name of ['copied.bin', 'copied-both.bin']) await writeFile(onE(name), Buffer.alloc(LARGE_COPY, 3));
    for (const name of ['copied.txt', 'copied-both.txt']) await writeFile(onE(name), 'small source\n');
    for (const name of ['copied-both.bin', 'copied-both.txt']) await chmod(onE(name), 0o700);
    // New paths holding those contents: what makes R look for them among its files.
    await writeFile(onE('new.bin'), Buffer.alloc(LARGE_COPY, 3));
    await writeFile(onE('new.txt'), 'small source\n');
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(/0 file\(s\) downloaded .*, 6 copied locally/);
    expect((await readFile(onR('copied.bin'))).equals(Buffer.alloc(LARGE_COPY, 3))).toBe(true);
    expect(await text(onR('copied.txt'))).toBe('small source\n');
    expect([await modeOf(onR('copied.bin')), await modeOf(onR('copied.txt'))]).toEqual([0o755, 0o755]);
    expect([await modeOf(onR('copied-both.bin')), await modeOf(onR('copied-both.txt'))]).toEqual([0o700, 0o700]);
    expect((pulled.stderr.match(/permissions: .*/g) ?? []).sort()).toEqual([
      expect.stringContaining('docs/copied-both.bin was chmodded on R (600) and on E (700)'),
      expect.stringContaining('docs/copied-both.txt was chmodded on R (600) and on E (700)'),
    ]);

    await roundTrip(/\(0 added, 2 modified, 0 deleted; 0 conflicts\)/);
    expect([await modeOf(onE('copied.bin')), await modeOf(onE('copied.txt'))]).toEqual([0o755, 0o755]);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
  });

  it("keeps R's chmod of a file E deletes as a conflict copy, and carries it to the new name of a file E renames", async () => {
    await chmod(onR('gone.sh'), 0o755);
    await chmod(onR('moved.sh'), 0o755);
    await rm(onE('gone.sh'));
    await rename(onE('moved.sh'), onE('renamed.sh'));
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    // The deletion: R's chmod kept with the file's content in a conflict copy, and said.
    const copies = (await conflictCopies(r)).filter((p) => p.startsWith('gone'));
    expect(copies).toHaveLength(1);
    expect(await text(onR(copies[0]!))).toBe('#!/bin/sh\necho gone.sh\n');
    expect(await modeOf(onR(copies[0]!))).toBe(0o755);
    expect(pulled.stderr).toMatch(/conflict: docs\/gone\.sh was chmodded on R \(755\) and E deleted it/);
    // The rename: the file under its new name has R's bits, no copy at the old name.
    await expect(stat(onR('moved.sh'))).rejects.toThrow();
    expect((await conflictCopies(r)).filter((p) => p.startsWith('moved'))).toEqual([]);
    expect(await text(onR('renamed.sh'))).toBe('#!/bin/sh\necho moved.sh\n');
    expect(await modeOf(onR('renamed.sh'))).toBe(0o755);
    expect(pulled.stderr).toMatch(/permissions: docs\/moved\.sh was chmodded on R \(755\) and renamed on E to docs\/renamed\.sh, which keeps R's 755/);

    // The chmod goes upstream under the new name, as a permission change.
    await roundTrip(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    expect(await modeOf(onE('renamed.sh'))).toBe(0o755);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
  });

  it("gives R's staged edit E's chmod at the pull, and applying the session keeps it", async () => {
    await writeFile(onR('staged.sh'), '#!/bin/sh\necho staged from R\n');
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    await chmod(onE('staged.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);

    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await text(onR('staged.sh'))).toBe('#!/bin/sh\necho staged from R\n');
    expect(await modeOf(onR('staged.sh'))).toBe(0o755);
    expect(pulled.stderr).not.toMatch(/conflict:|permissions:/);
    // The session already holds what R has: nothing to send again.
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/Nothing new to send upstream: 1 chang/);

    const applied = await runApply(daemon, ['apply', stagingIdFrom(sent.stdout), '--non-interactive']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await text(onE('staged.sh'))).toBe('#!/bin/sh\necho staged from R\n');
    expect(await modeOf(onE('staged.sh'))).toBe(0o755);
    await waitForDaemonToSee(daemon, 'docs', e);
    const back = await runClientOnce(setup);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).not.toMatch(/conflict:|permissions:/);
    expect(await modeOf(onR('staged.sh'))).toBe(0o755);
    expect(await treeDigest(r)).toEqual(await treeDigest(e));
    const after = await runUpstream(setup);
    expect(after.stdout + after.stderr).toMatch(/Nothing to send upstream/);
  });

  it("sends R's chmod back to the bits it staged, made after taking E's chmod, and applying it gives E R's bits", async () => {
    await writeFile(onR('back.sh'), '#!/bin/sh\necho back from R\n');
    const sent = await runUpstream(setup);
    expect(sent.code, sent.stderr).toBe(0);
    await chmod(onE('back.sh'), 0o755);
    await waitForDaemonToSee(daemon, 'docs', e);
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await modeOf(onR('back.sh'))).toBe(0o755);

    // R's user wants 644 after all: a chmod the first session does not carry (it leaves E's bits).
    await chmod(onR('back.sh'), 0o644);
    const again = await runUpstream(setup);
    expect(again.code, again.stderr).toBe(0);
    // Before: "Nothing new to send upstream: 1 change is already staged", and E stayed 755.
    expect(again.stdout).toMatch(/\(0 added, 1 modified, 0 deleted; 0 conflicts\)/);
    for (const id of [stagingIdFrom(sent.stdout), stagingIdFrom(again.stdout)]) {
      const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    }
    expect(await text(onE('back.sh'))).toBe('#!/bin/sh\necho back from R\n');
    expect(await modeOf(onE('back.sh'))).toBe(0o644);
  });
});
