// The databases hold every synced path name: one zync makes is its owner's alone (0600), with its
// -wal and -shm, whatever the umask (before: 0644 under umask 022). One the user made
// group-readable on purpose (a state shared with a group) keeps its mode.
import { chmodSync, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startDaemon, tempDir } from '../helpers/index.js';
import { clientArgs } from '../client/support.js';

// Runs the binary under umask 022, as a login shell usually has it.
const UMASK_022 = ['sh', '-c', 'umask 022 && exec "$@"', 'sh'];
const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('state database modes', () => {
  it('a new daemon database and client state are 0600, with their -wal and -shm', async () => {
    const db = path.join(tempDir('zync-state-'), 'sync.db');
    const daemon = await startDaemon({ dirs: { docs: tempDir('zync-e-') }, db, wrapper: UMASK_022 });
    try {
      for (const file of [db, `${db}-wal`, `${db}-shm`]) expect([file, modeOf(file).toString(8)]).toEqual([file, '600']);
      const setup = { daemon, dirs: { docs: tempDir('zync-r-') }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
      const pulled = await runCli('client', clientArgs(setup, ['--once']), { wrapper: UMASK_022 });
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(modeOf(setup.db).toString(8)).toBe('600');
    } finally {
      await daemon.stop();
    }
  });

  it('an existing database the user made group-readable keeps its mode', async () => {
    const db = path.join(tempDir('zync-state-'), 'sync.db');
    const first = await startDaemon({ dirs: { docs: tempDir('zync-e-') }, db });
    await first.stop();
    chmodSync(db, 0o640);
    const again = await startDaemon({ dirs: { docs: tempDir('zync-e-') }, db, wrapper: UMASK_022 });
    try {
      expect(modeOf(db).toString(8)).toBe('640');
      expect(existsSync(`${db}-wal`) ? modeOf(`${db}-wal`).toString(8) : '640').toBe('640');
    } finally {
      await again.stop();
    }
  });
});
