// A directory R made and filled, then made read-only (chmod 555), is applied whole on E by a
// user without root's override of permissions: R's directories are made writable for their
// owner while R's entries go in, and get R's bits once the session is applied — as the client
// does downstream. Before, the apply stopped half way with EACCES, for good: every later run
// met the same read-only directory.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/index.js';
import { syncedPair, waitForDaemonToSee } from '../client/support.js';
import { listSessions, runUpstream, stagingIdFrom } from './support.js';

/** As root, drop the override of file permissions (the daemon's unreadable tests do the same). */
const AS_A_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];
const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe('upstream: a read-only directory R made', () => {
  it('is applied with everything in it, and ends with R’s bits', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    try {
      await mkdir(path.join(r, 'ro/inner'), { recursive: true });
      await writeFile(path.join(r, 'ro/f'), 'R f\n');
      await writeFile(path.join(r, 'ro/inner/g'), 'R g\n');
      await chmod(path.join(r, 'ro/inner'), 0o555);
      await chmod(path.join(r, 'ro'), 0o555);
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);

      const applied = await runCli('apply', ['--db', daemon.db, 'apply', id, '--non-interactive'], { wrapper: AS_A_USER });
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(e, 'ro/f'), 'utf8')).toBe('R f\n');
      expect(await readFile(path.join(e, 'ro/inner/g'), 'utf8')).toBe('R g\n');
      expect(await modeOf(path.join(e, 'ro'))).toBe(0o555);
      expect(await modeOf(path.join(e, 'ro/inner'))).toBe(0o555);
      expect(await listSessions(daemon)).toEqual([expect.objectContaining({ staging_id: id, status: 'applied' })]);
      await waitForDaemonToSee(daemon, 'docs', e);
    } finally {
      await chmod(path.join(r, 'ro'), 0o755).catch(() => undefined);
      await chmod(path.join(r, 'ro/inner'), 0o755).catch(() => undefined);
      await chmod(path.join(e, 'ro'), 0o755).catch(() => undefined);
      await chmod(path.join(e, 'ro/inner'), 0o755).catch(() => undefined);
      await daemon.stop();
    }
  });
});
