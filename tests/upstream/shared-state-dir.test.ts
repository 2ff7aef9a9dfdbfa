// Two daemon databases in one state directory (--db other.db beside sync.db) share zync-staging/:
// a daemon starting on one never removes what the other staged. Before, the second daemon's
// start-up sweep removed the first one's waiting session without a word, and zync-apply then
// said its staged content was missing (exit 6).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, tempDir } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const exists = (p: string) => readdir(p).then(() => true, () => false);

describe('two databases in one state directory', () => {
  it('a session waiting in the first survives the second daemon starting, and applies', async () => {
    const s = await syncedPair(async (e) => writeFile(path.join(e, 'a.txt'), 'base\n'));
    let other: Awaited<ReturnType<typeof startDaemon>> | null = null;
    try {
      await writeFile(path.join(s.r, 'a.txt'), 'R edit\n');
      const staged = await runUpstream(s.setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);
      const blobs = path.join(s.daemon.stateDir, 'zync-staging', id);
      expect(await exists(blobs)).toBe(true);

      other = await startDaemon({ dirs: { x: tempDir('zync-x-') }, db: path.join(s.daemon.stateDir, 'other.db') });
      expect(await exists(blobs)).toBe(true);
      expect(other.stderr()).not.toMatch(/removed/);
      await other.stop();
      other = null;

      expect((await listSessions(s.daemon, false)).map((x) => x.staging_id)).toContain(id);
      const applied = await runApply(s.daemon, ['apply', id, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await readFile(path.join(s.e, 'a.txt'), 'utf8')).toBe('R edit\n');
    } finally {
      await other?.stop();
      await s.daemon.stop();
    }
  });
});
