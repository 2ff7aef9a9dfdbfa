// reconcile against a real tree and a real store: a whole root is recorded in batches as it is
// walked, a directory removed while the daemon was stopped takes its recorded contents with it,
// and an emptied root records nothing at all.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIgnoreMatcher, createLogger } from '@zync/common';
import { RACY_MS, type ChangeInput } from './core/entries.js';
import { reconcile } from './reconcile.js';
import type { Root } from './roots.js';
import { DaemonStore } from './store/daemon-store.js';

const log = createLogger('test', 'silent');
const temps: string[] = [];
const stores: DaemonStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A tree of files, older than RACY_MS once this returns: a change time closer to the hash than
 * that is not trusted, and the file would be hashed again by every reconcile.
 */
async function setup(files: string[]): Promise<{ root: Root; store: DaemonStore }> {
  const base = mkdtempSync(path.join(tmpdir(), 'zync-reconcile-'));
  temps.push(base);
  const dir = path.join(base, 'root');
  for (const rel of files) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), `content of ${rel}`);
  }
  mkdirSync(dir, { recursive: true });
  const written = Date.now();
  while (Date.now() <= written + RACY_MS) await new Promise((resolve) => setTimeout(resolve, 10));
  const store = DaemonStore.open(path.join(base, 'sync.db'));
  stores.push(store);
  return { root: { name: 'd', root: dir, matcher: createIgnoreMatcher(null), available: true }, store };
}

/** Runs a reconcile that records each batch in the store, and returns the batches. */
async function run(root: Root, store: DaemonStore, batchSize: number, under?: string) {
  const batches: ChangeInput[][] = [];
  const result = await reconcile({
    store,
    root,
    log,
    batchSize,
    ...(under === undefined ? {} : { under }),
    record: (inputs) => {
      batches.push(inputs);
      store.applyChanges(inputs, Date.now(), (_, p, isDir) => root.matcher(p, isDir)); // as the watcher records
    },
  });
  return { result, batches };
}

const livePaths = (store: DaemonStore) => {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const r of store.liveChildren('d', dir).values()) {
      if (r.ignored) continue; // recorded, not synced
      out.push(`${r.kind} ${r.path}`);
      if (r.kind === 'dir') walk(r.path);
    }
  };
  walk('');
  return out.sort();
};

const TREE = ['top.txt', 'a/x', 'a/b/y', 'a/b/c/z', 'e/f', 'e/g', 'e/h'];

describe('reconcile', () => {
  it('records a new tree in batches as it walks, each directory before what it holds', async () => {
    const { root, store } = await setup(TREE);
    const { result, batches } = await run(root, store, 3);
    expect(result.verdict.status).toBe('ok');
    expect(result.inputs).toEqual([]); // all handed to the sink
    expect(batches.length).toBeGreaterThan(2);
    for (const batch of batches.slice(0, -1)) expect(batch.length).toBeGreaterThanOrEqual(3);
    expect(livePaths(store)).toEqual(
      ['dir a', 'dir a/b', 'dir a/b/c', 'dir e', 'file a/b/c/z', 'file a/b/y', 'file a/x', 'file e/f', 'file e/g', 'file e/h', 'file top.txt'].sort(),
    );
    const sequenceOf = new Map(store.changesSince(0, 100).changes.map((c) => [c.path, c.sequence]));
    for (const [p, sequence] of sequenceOf) {
      const parent = path.posix.dirname(p);
      if (parent !== '.') expect(sequenceOf.get(parent)!).toBeLessThan(sequence);
    }
  });

  it('records nothing for a tree that has not changed', async () => {
    const { root, store } = await setup(TREE);
    await run(root, store, 3);
    const { result, batches } = await run(root, store, 3);
    expect(batches).toEqual([]);
    expect(result.hashed).toBe(0);
    expect(result.files).toBe(7);
  });

  it('logs a directory removed while stopped, and everything it held, as deleted', async () => {
    const { root, store } = await setup(TREE);
    await run(root, store, 3);
    rmSync(path.join(root.root, 'a'), { recursive: true });
    const { batches } = await run(root, store, 3);
    // One input for the directory: its recorded contents go with it.
    expect(batches.flat().map((i) => `${i.operation} ${i.path}`)).toEqual(['delete a']);
    expect(livePaths(store)).toEqual(['dir e', 'file e/f', 'file e/g', 'file e/h', 'file top.txt']);
    const deleted = store.changesSince(0, 100).changes.filter((c) => c.operation === 'delete').map((c) => c.path);
    expect(deleted.sort()).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/z', 'a/b/y', 'a/x']);
  });

  it('a stop ends the walk between two directories, what was found so far recorded; the next reconcile records the rest', async () => {
    const { root, store } = await setup(TREE);
    let listings = 0;
    const stopped = await reconcile({ store, root, log, record: (inputs) => void store.applyChanges(inputs), stop: () => ++listings > 2 });
    expect(stopped.stopped).toBe(true);
    const partly = livePaths(store);
    expect(partly.length).toBeGreaterThan(0);
    expect(partly.length).toBeLessThan(11);
    const { result } = await run(root, store, 3);
    expect(result.stopped).toBe(false);
    expect(livePaths(store)).toHaveLength(11);
  });

  it('records nothing at all for a root emptied while many entries are recorded', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `d${i % 5}/f${i}`);
    const { root, store } = await setup(many);
    await run(root, store, 4);
    const before = store.lastSequence();
    rmSync(root.root, { recursive: true });
    mkdirSync(root.root);
    const { result, batches } = await run(root, store, 4);
    expect(result.verdict.status).toBe('emptied');
    expect(batches).toEqual([]);
    expect(store.lastSequence()).toBe(before);
  });

  it('logs every file of a directory emptied while stopped, however many it held', async () => {
    // More deletions than a function call takes arguments (about 125k in V8 with Node's stack).
    const { root, store } = await setup(['flat/kept']);
    const many = 150_000;
    const recorded: ChangeInput[] = [{ operation: 'add', kind: 'dir', base_dir: 'd', path: 'flat', checksum: null, size: 0, mtime: 1, mode: 0o755 }];
    for (let i = 0; i < many; i++) recorded.push({ operation: 'add', kind: 'file', base_dir: 'd', path: `flat/f${i}`, checksum: 'a'.repeat(64), size: 1, mtime: 1, mode: 0o644 });
    store.applyChanges(recorded);
    const { result, batches } = await run(root, store, 2000);
    expect(result.verdict.status).toBe('ok');
    expect(batches.flat().filter((i) => i.operation === 'delete')).toHaveLength(many);
    expect(livePaths(store)).toEqual(['dir flat', 'file flat/kept']);
  }, 60_000);

  it('without a sink returns a subtree\'s inputs, the subtree itself included', async () => {
    const { root, store } = await setup(TREE);
    const result = await reconcile({ store, root, log, under: 'a/b' });
    expect(result.inputs.map((i) => `${i.operation} ${i.kind} ${i.path}`).sort()).toEqual(['add dir a/b', 'add dir a/b/c', 'add file a/b/c/z', 'add file a/b/y']);
    store.applyChanges(result.inputs);
    rmSync(path.join(root.root, 'a/b'), { recursive: true });
    const gone = await reconcile({ store, root, log, under: 'a/b' });
    expect(gone.inputs.map((i) => `${i.operation} ${i.path}`)).toEqual(['delete a/b']);
  });

  it('marks recorded paths the rules now ignore without logging a deletion, and logs them as adds once they are not', async () => {
    const { root, store } = await setup(TREE);
    await run(root, store, 3);
    const before = store.lastSequence();
    root.matcher = createIgnoreMatcher('a/\ne/g\n');
    const ignoring = await run(root, store, 3);
    expect(ignoring.batches.flat().map((i) => `${i.ignored ? 'ignore' : i.operation} ${i.path}`).sort()).toEqual(['ignore a', 'ignore e/g']);
    expect(store.lastSequence()).toBe(before); // nothing for a client to pull
    expect(livePaths(store)).toEqual(['dir e', 'file e/f', 'file e/h', 'file top.txt']);
    expect(store.getFile('d', 'a/b/c/z')).toMatchObject({ ignored: true, deleted: false }); // the whole ignored subtree
    expect((await run(root, store, 3)).batches).toEqual([]); // and stays so

    root.matcher = createIgnoreMatcher(null);
    await run(root, store, 3);
    const back = store.changesSince(before, 100).changes.map((c) => `${c.operation} ${c.path}`).sort();
    expect(back).toEqual(['add a', 'add a/b', 'add a/b/c', 'add a/b/c/z', 'add a/b/y', 'add a/x', 'add e/g']);
  });

  it('a built-in rule a newer zync adds (emacs auto-saves) marks what an older one recorded, with no deletion', async () => {
    const { root, store } = await setup(['#draft.txt#', 'notes.txt']);
    root.matcher = () => false; // an older zync that synced such names
    await run(root, store, 3);
    expect(livePaths(store)).toEqual(['file #draft.txt#', 'file notes.txt']);
    const before = store.lastSequence();
    root.matcher = createIgnoreMatcher(null);
    let untracked = 0;
    await reconcile({ store, root, log, record: (inputs) => void (untracked += store.applyChanges(inputs).untracked) });
    expect(untracked).toBe(1);
    expect(store.lastSequence()).toBe(before);
    expect(livePaths(store)).toEqual(['file notes.txt']);
  });

  it('logs as deleted what E removed while it was ignored, once the rules let it through again', async () => {
    const { root, store } = await setup(TREE);
    await run(root, store, 3);
    root.matcher = createIgnoreMatcher('a/b/\ne/g\n');
    await run(root, store, 3);
    rmSync(path.join(root.root, 'a/b/c'), { recursive: true });
    rmSync(path.join(root.root, 'e/g'));
    const before = store.lastSequence();
    expect((await run(root, store, 3)).batches).toEqual([]); // still ignored: nothing to say
    root.matcher = createIgnoreMatcher(null);
    await run(root, store, 3);
    const back = store.changesSince(before, 100).changes.map((c) => `${c.operation} ${c.path}`);
    expect(back).toEqual(['delete e/g', 'delete a/b/c/z', 'delete a/b/c', 'add a/b', 'add a/b/y']); // a directory's contents before it
    expect(livePaths(store)).toEqual(['dir a', 'dir a/b', 'dir e', 'file a/b/y', 'file a/x', 'file e/f', 'file e/h', 'file top.txt']);
  });

  it('logs as deleted an ignored file whose directory E removed meanwhile, once the rules let it through again', async () => {
    const { root, store } = await setup(['a/x.log', 'a/y', 'top.txt']);
    await run(root, store, 3);
    root.matcher = createIgnoreMatcher('*.log\n');
    await run(root, store, 3);
    rmSync(path.join(root.root, 'a'), { recursive: true });
    const before = store.lastSequence();
    await run(root, store, 3);
    // Still ignored: R's copy of a/x.log must stay, so the directory's deletion leaves it be.
    expect(store.changesSince(before, 100).changes.map((c) => `${c.operation} ${c.path}`)).toEqual(['delete a/y', 'delete a']);
    root.matcher = createIgnoreMatcher(null);
    const after = store.lastSequence();
    await run(root, store, 3);
    expect(store.changesSince(after, 100).changes.map((c) => `${c.operation} ${c.path}`)).toEqual(['delete a/x.log']);
    expect(store.ignoredAfter('d', '', 10)).toEqual([]);
    expect((await run(root, store, 3)).batches).toEqual([]);
  });

  it('leaves what the rules still ignore below a removed directory as it is, and logs the rest as deleted', async () => {
    const { root, store } = await setup(['a/b.log', 'a/build/x', 'a/build/y', 'a/build/z', 'a/c', 'a/d.log']);
    await run(root, store, 3);
    root.matcher = createIgnoreMatcher('*.log\nbuild/\n');
    await run(root, store, 3);
    rmSync(path.join(root.root, 'a'), { recursive: true });
    await run(root, store, 3);
    root.matcher = createIgnoreMatcher('build/\n');
    const before = store.lastSequence();
    await run(root, store, 3);
    expect(store.changesSince(before, 100).changes.map((c) => `${c.operation} ${c.path}`)).toEqual(['delete a/d.log', 'delete a/b.log']);
    expect(store.ignoredAfter('d', '', 10).map((r) => r.path)).toEqual(['a/build', 'a/build/x', 'a/build/y', 'a/build/z']);
  });

  it('an emptied-looking root whose every top-level entry is ignored now is no emptied disk; an emptied one still is', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `d${i % 5}/f${i}`);
    const { root, store } = await setup(many);
    await run(root, store, 4);
    const before = store.lastSequence();
    root.matcher = createIgnoreMatcher('*\n');
    const ignoring = await run(root, store, 4);
    expect(ignoring.result.verdict.status).toBe('ok');
    expect(ignoring.batches.flat().map((i) => `${i.ignored ? 'ignore' : i.operation} ${i.path}`).sort()).toEqual(['ignore d0', 'ignore d1', 'ignore d2', 'ignore d3', 'ignore d4']);
    expect(store.lastSequence()).toBe(before);

    root.matcher = createIgnoreMatcher('d0\n');
    await run(root, store, 4);
    rmSync(root.root, { recursive: true });
    mkdirSync(root.root);
    const emptied = await run(root, store, 4);
    expect(emptied.result.verdict.status).toBe('emptied');
    expect(emptied.batches).toEqual([]);
  });

  // The disk unmounted takes its .zyncignore along: the rules read at the empty mount point are
  // none, and the rows marked under the old ones must count, or their deletions would be logged.
  it.each([
    ['`build/` ignored: most rows marked', ['.zyncignore', ...Array.from({ length: 10 }, (_, i) => `src/f${i}`), ...Array.from({ length: 100 }, (_, i) => `build/o${i}`)], 'build/\n'],
    ['`*` ignored: every row marked', Array.from({ length: 50 }, (_, i) => `d${i % 5}/f${i}`), '*\n'],
  ])('an unmounted disk whose rules marked rows (%s) is held, with no deletion logged', async (_name, files, rules) => {
    const { root, store } = await setup(files);
    await run(root, store, 50);
    root.matcher = createIgnoreMatcher(rules);
    await run(root, store, 50);
    const before = store.lastSequence();
    rmSync(root.root, { recursive: true });
    mkdirSync(root.root);
    root.matcher = createIgnoreMatcher(null);
    const unmounted = await run(root, store, 50);
    expect(unmounted.result.verdict.status).toBe('emptied');
    expect(unmounted.batches).toEqual([]);
    expect(store.lastSequence()).toBe(before);
  });

  it('tells onDirectory of each directory below where it starts, each before what it holds', async () => {
    // The watcher relies on that order: what is below a directory it hands to chokidar is skipped.
    const { root, store } = await setup(TREE);
    const whole: string[] = [];
    await reconcile({ store, root, log, onDirectory: (dir) => whole.push(dir) });
    expect([...whole].sort()).toEqual(['a', 'a/b', 'a/b/c', 'e']);
    expect(whole.indexOf('a')).toBeLessThan(whole.indexOf('a/b'));
    expect(whole.indexOf('a/b')).toBeLessThan(whole.indexOf('a/b/c'));
    const subtree: string[] = [];
    await reconcile({ store, root, log, under: 'a', onDirectory: (dir) => subtree.push(dir) });
    expect(subtree).toEqual(['a/b', 'a/b/c']);
  });
});
