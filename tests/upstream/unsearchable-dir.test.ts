// A directory on R that R's user may list but not enter (r-- without x): its files' names show,
// but none of them can be looked at. --update-upstream knows nothing of them then: it must not
// send them to E as deletions. Before, every received file in such a directory went up as
// deleted, and applying the session deleted them on E. A root R may enter but not list is
// refused as unreadable, not as empty. Run as root, the client is started without root's
// override of permissions, so they apply to it as to any user.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/index.js';
import { clientArgs, syncedPair } from '../client/support.js';
import { listSessions } from './support.js';

const AS_A_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];

describe('upstream: directories R may not read', () => {
  it('one R may list but not enter sends nothing below it, and no deletion of what R received there', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await mkdir(path.join(e, 'closed/inner'), { recursive: true });
      await writeFile(path.join(e, 'closed/a.txt'), 'a\n');
      await writeFile(path.join(e, 'closed/inner/b.txt'), 'b\n');
      await writeFile(path.join(e, 'open.txt'), 'open\n');
    });
    try {
      await writeFile(path.join(r, 'open.txt'), 'edited on R\n');
      await chmod(path.join(r, 'closed'), 0o644);
      const staged = await runCli('client', clientArgs(setup, ['--update-upstream']), { wrapper: AS_A_USER, timeoutMs: 110_000 });
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stderr).toMatch(/cannot read docs\/closed: nothing below it is sent upstream/);
      const id = /session (\S+?) /.exec(staged.stdout)?.[1];
      expect(id, staged.stdout).toBeDefined();
      const shown = await runCli('apply', ['--db', daemon.db, 'show', id!, '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const entries = (JSON.parse(shown.stdout) as { entries: { path: string; operation: string }[] }).entries;
      expect(entries.map((entry) => [entry.path, entry.operation])).toEqual([['open.txt', 'modify']]);
      expect(await listSessions(daemon)).toHaveLength(1);
    } finally {
      await chmod(path.join(r, 'closed'), 0o755).catch(() => undefined);
      await daemon.stop();
    }
  });

  it('refuses a root R may enter but not list, saying so (not that it is empty), and stages nothing', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'a\n');
    });
    try {
      await chmod(r, 0o100); // its .zyncignore can be looked for, its names cannot be read
      const refused = await runCli('client', clientArgs(setup, ['--update-upstream']), { wrapper: AS_A_USER, timeoutMs: 110_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/cannot be read on R \(EACCES\); nothing is sent upstream/);
      expect(refused.stderr).not.toMatch(/is empty/);
      expect(await listSessions(daemon)).toEqual([]);
    } finally {
      await chmod(r, 0o755).catch(() => undefined);
      await daemon.stop();
    }
  });
});
