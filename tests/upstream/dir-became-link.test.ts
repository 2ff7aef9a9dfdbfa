// R renames a directory it received and puts a symbolic link under the old name (`mv lib
// lib-real; ln -s lib-real lib`). zync follows no link, so R's tree no longer holds lib/x.js:
// --update-upstream stages its deletion (E backs it up when it applies; the file itself goes as
// lib-real/x.js) and says why, exit 0; the pull after E applied it leaves R's link alone and ends
// up to date.
// Before, every run said "left out: docs/lib/x.js changed while it was being sent" (it had not)
// and exited 11, for ever: the check before FINALIZE looked through the link and found the file.
import { mkdir, readFile, readlink, rename, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists } from '../helpers/index.js';
import { runClientOnce, syncedPair, waitForDaemonToSee } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: a directory R replaced by a symbolic link', () => {
  it('sends what was below it as deleted, says why, and the pull after the apply is up to date', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'lib'));
      await writeFile(path.join(e, 'lib/x.js'), 'x\n');
      await writeFile(path.join(e, 'config.yml'), 'cfg\n');
    });
    try {
      await rename(path.join(r, 'lib'), path.join(r, 'lib-real'));
      await symlink('lib-real', path.join(r, 'lib'));
      // A file replaced by a link too (a dotfiles habit): its deletion goes as well.
      await rename(path.join(r, 'config.yml'), path.join(r, 'config.base.yml'));
      await symlink('config.base.yml', path.join(r, 'config.yml'));

      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stderr).not.toContain('changed while it was being sent');
      expect(staged.stderr).toContain(
        '1 symbolic link (docs/lib) is in place of a directory R had from E; zync does not follow links, so the files E sent there go upstream as deleted',
      );
      const again = await runUpstream(setup);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('left out');

      const applied = await runApply(daemon, ['apply', stagingIdFrom(staged.stdout), '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await exists(path.join(e, 'lib'))).toBe(false);
      expect(await readFile(path.join(e, 'lib-real/x.js'), 'utf8')).toBe('x\n');
      await waitForDaemonToSee(daemon, 'docs', e);

      const pulled = await runClientOnce(setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pulled.stderr).toMatch(/up to date/);
      expect(pulled.stderr).toContain(' 0 conflict(s)');
      expect(await readlink(path.join(r, 'lib'))).toBe('lib-real');
      expect(await readFile(path.join(r, 'lib-real/x.js'), 'utf8')).toBe('x\n');
    } finally {
      await daemon.stop();
    }
  });
});
