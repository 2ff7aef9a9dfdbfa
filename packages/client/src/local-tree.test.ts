// withChecksum hashes the file inspect saw; what replaced it since is what the plan must see.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '@zync/common';
import type { EntryKey, OpenedDir } from './core/types.js';
import { LocalTree, lstatState, withChecksum } from './local-tree.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zync-local-tree-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('withChecksum', () => {
  it('adds the checksum of the file inspect saw', async () => {
    const abs = path.join(dir, 'a.txt');
    writeFileSync(abs, 'hello\n');
    expect(await withChecksum(abs, lstatState(abs))).toMatchObject({ kind: 'file', checksum: sha256('hello\n') });
  });

  it('gives what replaced the file since (a FIFO, a directory) instead of waiting or failing', async () => {
    const fifo = path.join(dir, 'f');
    const sub = path.join(dir, 'd');
    writeFileSync(fifo, 'x');
    writeFileSync(sub, 'y');
    const seenFifo = lstatState(fifo);
    const seenSub = lstatState(sub);
    rmSync(fifo);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    rmSync(sub);
    mkdirSync(sub);
    expect(await withChecksum(fifo, seenFifo)).toEqual({ kind: 'other' });
    expect(await withChecksum(sub, seenSub)).toMatchObject({ kind: 'dir' });
  });
});

describe('LocalTree: notes of opened directories', () => {
  it('keeps the note of a directory opened again after a batch that gave it back stopped before its barrier', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'zync-opened-'));
    try {
      mkdirSync(path.join(root, 'ro'));
      chmodSync(path.join(root, 'ro'), 0o555);
      const noted: OpenedDir[] = [];
      const dropped: EntryKey[] = [];
      const tree = new LocalTree([{ name: 'docs', root }], { noteOpenedDirs: (dirs) => noted.push(...dirs), dropOpenedDirs: (keys) => dropped.push(...keys) });
      const batch = [{ base_dir: 'docs', path: 'ro/a.txt' }];
      tree.openAncestors(batch);
      expect(statSync(path.join(root, 'ro')).mode & 0o777).toBe(0o755);
      // The first batch gives the mode back, then stops (a lost connection) before its barrier.
      for (const dir of tree.takeOpened()) chmodSync(dir.abs, dir.mode);
      tree.gaveBack([{ baseDir: 'docs', path: 'ro' }]);
      // The next batch opens it again and is killed before giving it back: its note must stay.
      tree.openAncestors(batch);
      expect(noted.map((n) => n.path)).toEqual(['ro', 'ro']);
      await tree.syncTouchedDirs();
      expect(dropped).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('LocalTree: a root gone during a batch', () => {
  it('is not made again for a file in it (nor the directories above it): the file fails, and the next pass holds the root', () => {
    const root = path.join(dir, 'home', 'docs');
    mkdirSync(root, { recursive: true });
    const tree = new LocalTree([{ name: 'docs', root }], { noteOpenedDirs: () => undefined, dropOpenedDirs: () => undefined });
    const top = tree.resolve('docs', 'a.txt');
    const nested = tree.resolve('docs', 'sub/b.txt');
    rmSync(path.join(dir, 'home'), { recursive: true });
    expect(() => tree.ensureParent(top)).toThrow(expect.objectContaining({ code: 'ROOT_GONE' }));
    expect(() => tree.ensureParent(nested)).toThrow(expect.objectContaining({ code: 'ROOT_GONE' }));
    expect(lstatState(path.join(dir, 'home')).kind).toBe('absent');
    // A directory below a root that is there is made as before.
    mkdirSync(root, { recursive: true });
    tree.ensureParent(nested);
    expect(lstatState(path.join(root, 'sub')).kind).toBe('dir');
  });
});
