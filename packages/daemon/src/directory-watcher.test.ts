// DirectoryWatcher against a real directory: which directories end up watched when they come and
// go at the moments chokidar is least ready for. The moments are made certain, not waited for:
// chokidar's 100 ms window for removals is held open with fake timers, and a directory is made
// between chokidar's listing of its parent and the parent's watch from inside chokidar's call.
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirectoryWatcher } from './directory-watcher.js';

/** Polls without timers (they are faked): a deadline on the wall clock, a turn of the event loop between looks. */
async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('DirectoryWatcher', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Watches a new temporary directory; `prepare` runs before the initial walk, on the root and watcher. */
  async function watch(
    prepare?: (root: string, fsw: DirectoryWatcher) => void,
  ): Promise<{ root: string; fsw: DirectoryWatcher; watching: string[]; gone: string[] }> {
    const root = mkdtempSync(path.join(tmpdir(), 'zync-dirwatch-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // As the daemon watches a root: directories only, symbolic links not followed.
    const fsw = new DirectoryWatcher({
      ignoreInitial: true,
      followSymlinks: false,
      atomic: false,
      ignored: (p: string, stats?: { isDirectory(): boolean }) => p !== root && stats !== undefined && !stats.isDirectory(),
    });
    cleanups.push(() => fsw.close());
    const watching: string[] = [];
    const gone: string[] = [];
    fsw.on('unlinkDir', (p: string) => gone.push(p));
    prepare?.(root, fsw);
    await new Promise<void>((resolve) => {
      fsw.once('ready', resolve);
      fsw.add(root);
    });
    fsw.onWatching = (p) => watching.push(p);
    return { root, fsw, watching, gone };
  }

  it('watches a directory made where one was made and removed twice within 100 ms', async () => {
    const { root, watching, gone } = await watch();
    const d = path.join(root, 'd');
    const count = (list: string[]) => list.filter((p) => p === d).length;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (let round = 1; round <= 2; round++) {
      mkdirSync(d);
      await until(`d watched (round ${round})`, () => count(watching) === round);
      rmdirSync(d);
      // Dropped as a repeat of the first removal, the second left d tracked and watched on the gone directory.
      await until(`d forgotten (round ${round})`, () => count(gone) === round);
    }
    mkdirSync(d);
    await until('the third d watched', () => count(watching) === 3);
    expect(count(watching)).toBe(3);
  });

  it('watches a directory made in a new one between its listing and its watch', async () => {
    // `mkdir d; mkdir d/sib` run as the daemon sets up d's watch: no event ever names d/sib.
    const { root, fsw, watching } = await watch();
    const d = path.join(root, 'd');
    const sib = path.join(d, 'sib');
    const handler = fsw._nodeFsHandler;
    const watchWithNodeFs = handler._watchWithNodeFs.bind(handler);
    handler._watchWithNodeFs = (p, listener) => {
      if (p === d) mkdirSync(sib);
      return watchWithNodeFs(p, listener);
    };
    mkdirSync(d);
    await until('d/sib watched', () => watching.includes(sib));
    expect(watching).toEqual([d, sib]);
  });

  it('watches, once asked, a directory made during the initial walk between the listing of its parent and its parent watch', async () => {
    // `mkdir d/sib` while the daemon starts: chokidar has listed d, not yet watched it, and lists
    // it again only on its events (onWatching is not set yet): d/sib is never watched on its own.
    const { root, fsw, watching } = await watch((root, fsw) => {
      mkdirSync(path.join(root, 'd'));
      const handler = fsw._nodeFsHandler;
      const watchWithNodeFs = handler._watchWithNodeFs.bind(handler);
      handler._watchWithNodeFs = (p, listener) => {
        if (p === path.join(root, 'd')) mkdirSync(path.join(root, 'd', 'sib'));
        return watchWithNodeFs(p, listener);
      };
    });
    const d = path.join(root, 'd');
    const sib = path.join(d, 'sib');
    expect(fsw._closers.has(d)).toBe(true);
    expect(fsw._closers.has(sib)).toBe(false);
    // What the scan after start-up asks of each directory it lists: known ones are left alone.
    expect(fsw.watchUnknown(root)).toBe(false);
    expect(fsw.watchUnknown(d)).toBe(false);
    expect(fsw.watchUnknown(sib)).toBe(true);
    await until('d/sib watched', () => watching.includes(sib));
    expect(fsw.watchUnknown(sib)).toBe(false);
    expect(watching).toEqual([sib]);
  });
});
