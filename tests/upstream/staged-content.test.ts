// The staged content of a session is damaged or gone (a file removed from the state directory,
// a disk error): zync-apply refuses the session before it writes anything, in one sentence that
// says so, instead of applying the entries before the missing one and stopping with a
// raw ENOENT that "run again" can never fix. Content that is there is found, also through a
// --db that is a symbolic link to the daemon's database.
import { readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, treeDigest } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('zync-apply: staged content missing', () => {
  it('finds it beside the database a --db symbolic link leads to', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'a.txt'), 'R a\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const link = path.join(tempDir(), 'sync.db');
      await symlink(daemon.db, link);
      const applied = await runCli('apply', ['--db', link, 'apply', stagingIdFrom(staged.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'a.txt'), 'utf8')).toBe('R a\n');
    } finally {
      await daemon.stop();
    }
  });

  it('refuses the session with nothing changed', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
      await writeFile(path.join(e, 'b.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'a.txt'), 'R a\n');
      await writeFile(path.join(r, 'b.txt'), 'R b\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);
      const blobs = path.join(daemon.stateDir, 'zync-staging', id);
      const names = (await readdir(blobs)).sort();
      expect(names).toHaveLength(2);
      await rm(path.join(blobs, names[1]!));

      const before = await treeDigest(e);
      const refused = await runApply(daemon, ['apply', id, '--non-interactive']);
      expect(refused.code).toBe(6);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/staged content for docs\/[ab]\.txt is missing or damaged .*; nothing was changed, and this session cannot be applied — R still holds its edits: discard it with zync-apply --db \S+ discard \S+, and R sends them again at its next --update-upstream\.$/m);
      expect(await treeDigest(e)).toEqual(before);
      expect(await readFile(path.join(e, 'a.txt'), 'utf8')).toBe('base\n');
    } finally {
      await daemon.stop();
    }
  });

  it('refuses a session whose staged content is damaged but whole in size, with nothing changed', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
      await writeFile(path.join(e, 'b.txt'), 'base\n');
    });
    try {
      await writeFile(path.join(r, 'a.txt'), 'R a\n');
      await writeFile(path.join(r, 'b.txt'), 'R b\n');
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);
      const blobs = path.join(daemon.stateDir, 'zync-staging', id);
      const names = (await readdir(blobs)).sort();
      expect(names).toHaveLength(2);
      // A flipped byte (a disk error): the size still matches, the checksum does not.
      const damaged = path.join(blobs, names[1]!);
      const bytes = await readFile(damaged);
      bytes[0] = bytes[0]! ^ 0x20;
      await writeFile(damaged, bytes);

      const before = await treeDigest(e);
      const refused = await runApply(daemon, ['apply', id, '--non-interactive']);
      expect(refused.code).toBe(6);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/staged content for docs\/[ab]\.txt is missing or damaged .*; nothing was changed, and this session cannot be applied — R still holds its edits: discard it with zync-apply --db \S+ discard \S+, and R sends them again at its next --update-upstream\.$/m);
      expect(await treeDigest(e)).toEqual(before);
    } finally {
      await daemon.stop();
    }
  });
});
