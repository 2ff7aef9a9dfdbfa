// giveBackOpenedDirs on a real store and directories: which notes it acts on, and which it keeps
// for the next start (a held root's, one that met an error) instead of dropping them.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@zync/common';
import { giveBackOpenedDirs } from './opened-dirs.js';
import { ClientStore } from './store/client-store.js';

const logger = createLogger('test', 'silent');
const work: string[] = [];
afterEach(() => {
  for (const dir of work.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(): { store: ClientStore; root: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'zync-opened-dirs-'));
  work.push(dir);
  const root = path.join(dir, 'docs');
  mkdirSync(root);
  const store = ClientStore.open(path.join(dir, 'sync_client.db'));
  store.bindRoots([{ name: 'docs', root }]);
  return { store, root };
}
const modeOf = (abs: string) => statSync(abs).mode & 0o7777;

describe('giveBackOpenedDirs', () => {
  it("gives a directory still in the opened mode its mode back and drops its note", () => {
    const { store, root } = setup();
    mkdirSync(path.join(root, 'ro'), { mode: 0o755 });
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    expect(giveBackOpenedDirs(store, logger)).toBe(1);
    expect(modeOf(path.join(root, 'ro'))).toBe(0o555);
    expect(store.openedDirs()).toEqual([]);
    store.close();
  });

  it('keeps the notes of a held root (its disk not mounted) for the start that finds it back', () => {
    const { store, root } = setup();
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    rmSync(root, { recursive: true });
    expect(giveBackOpenedDirs(store, logger, new Set(['docs']))).toBe(0);
    expect(store.openedDirs()).toHaveLength(1);
    // The disk is back, with the directory as the killed batch left it.
    mkdirSync(path.join(root, 'ro'), { recursive: true, mode: 0o755 });
    chmodSync(path.join(root, 'ro'), 0o755);
    expect(giveBackOpenedDirs(store, logger)).toBe(1);
    expect(modeOf(path.join(root, 'ro'))).toBe(0o555);
    expect(store.openedDirs()).toEqual([]);
    store.close();
  });

  it('keeps a note it could not act on (the root cannot be looked at), and drops one behind a symbolic link', () => {
    const { store, root } = setup();
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'zync-opened-elsewhere-'));
    work.push(elsewhere);
    mkdirSync(path.join(elsewhere, 'ro'), { mode: 0o755 });
    symlinkSync(elsewhere, path.join(root, 'link'));
    store.noteOpenedDirs([{ base_dir: 'docs', path: 'link/ro', mode: 0o555 }]);
    expect(giveBackOpenedDirs(store, logger)).toBe(0);
    expect(modeOf(path.join(elsewhere, 'ro'))).toBe(0o755);
    expect(store.openedDirs()).toEqual([]);

    store.noteOpenedDirs([{ base_dir: 'docs', path: 'ro', mode: 0o555 }]);
    rmSync(root, { recursive: true });
    expect(giveBackOpenedDirs(store, logger)).toBe(0);
    expect(store.openedDirs()).toHaveLength(1);
    store.close();
  });
});
