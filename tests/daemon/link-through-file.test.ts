// A symbolic link whose target runs through a regular file (`l -> f/x`, where f is a file) —
// what a rename on E can leave of any relative link. Its target cannot be resolved with ENOTDIR
// rather than ENOENT; the daemon starts, serves the rest of the tree and keeps watching the
// directory that holds it.
// Before, the directory listing chokidar reads was abandoned at such a link: the daemon never
// finished starting (no 'listening', SIGTERM ignored, its lock held), and a directory holding
// one made at run time was no longer listed, so directories made in it later went unwatched.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, treeDigest, waitFor } from '../helpers/index.js';
import { comparable, fetchLog, replayLog } from './daemon-helpers.js';

async function logged(daemon: { url: string; token: string }): Promise<Record<string, unknown>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return replayLog(await fetchLog(client), 'w');
  } finally {
    await client.close();
  }
}

describe('a symbolic link through a file', () => {
  it('in the tree at start-up: the daemon starts and logs the tree', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'd/sub'), { recursive: true });
    writeFileSync(path.join(root, 'd/f'), 'a file\n');
    writeFileSync(path.join(root, 'd/sub/g.txt'), 'g\n');
    symlinkSync('f/x', path.join(root, 'd/l'));
    const daemon = await startDaemon({ dirs: { w: root }, timeoutMs: 15_000 });
    try {
      expect(await logged(daemon)).toEqual(comparable(await treeDigest(root)));
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });

  it('made at run time: directories made beside it later are still watched', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'd'));
    writeFileSync(path.join(root, 'd/f'), 'a file\n');
    const daemon = await startDaemon({ dirs: { w: root } });
    try {
      symlinkSync('f/x', path.join(root, 'd/l'));
      mkdirSync(path.join(root, 'd/new'));
      writeFileSync(path.join(root, 'd/new/first.txt'), '1\n');
      await waitFor(async () => 'd/new/first.txt' in (await logged(daemon)), { what: 'd/new/first.txt in the log' });
      // Only a watch on d/new reports this one (no event in d itself).
      writeFileSync(path.join(root, 'd/new/later.txt'), '2\n');
      await waitFor(async () => 'd/new/later.txt' in (await logged(daemon)), { what: 'd/new/later.txt in the log', timeoutMs: 10_000 });
      expect(await logged(daemon)).toEqual(comparable(await treeDigest(root)));
    } finally {
      await daemon.stop();
    }
  });
});
