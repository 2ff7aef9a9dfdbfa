// A directory made while the daemon sets up its watches at start-up, inside a directory chokidar
// has listed but not yet watched: no event ever names it, so chokidar never watches it. The scan
// after start-up logs it; files written in it later must be logged too, at once, not at the
// periodic rescan (10 minutes). The moment is made certain by a preload inside the daemon's
// chokidar (mkdir-while-watching.mjs), not waited for.
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connect, sha256File, startDaemon, tempDir, waitFor } from '../helpers/index.js';
import { fetchLog, replayLog } from './daemon-helpers.js';

const PRELOAD = pathToFileURL(path.join(import.meta.dirname, 'mkdir-while-watching.mjs')).href;

describe('zync-daemon start-up', () => {
  it('watches a directory made between the listing of its parent and its watch, and what it holds', async () => {
    const root = realpathSync(tempDir());
    mkdirSync(path.join(root, 'd'));
    writeFileSync(path.join(root, 'seed.txt'), 'present before the start\n');
    const daemon = await startDaemon({
      dirs: { w: root },
      // d/sib/inner: the scan finds d/sib unknown and hands it to chokidar, which walks inner itself.
      env: { NODE_OPTIONS: `--import=${PRELOAD}`, ZYNC_MKDIR_WHILE_WATCHING: `${path.join(root, 'd')}:${path.join(root, 'd/sib/inner')}` },
    });
    const client = await connect(daemon.url, daemon.token);
    try {
      expect(existsSync(path.join(root, 'd/sib/inner'))).toBe(true); // the preload ran
      const logged = async () => replayLog(await fetchLog(client), 'w');
      expect(Object.keys(await logged())).toEqual(expect.arrayContaining(['d/sib', 'd/sib/inner']));

      // Written once the daemon serves: logged only if d/sib and d/sib/inner are watched.
      const files = ['d/sib/f.txt', 'd/sib/inner/g.txt'];
      for (const file of files) writeFileSync(path.join(root, file), `${file}\n`);
      const expected = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256File(path.join(root, f))] as const)));
      await waitFor(
        async () => {
          const tree = await logged();
          return files.every((f) => tree[f]?.kind === 'file' && tree[f].sha256 === expected[f]);
        },
        { timeoutMs: 15_000, what: 'files written in the directories made during start-up to be logged' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- daemon log tail ---\n${daemon.stderr().slice(-3000)}`);
      });
    } finally {
      await client.close();
      expect(await daemon.stop()).toBe(0);
    }
  });
});
