// At start, gives back the modes of directories a run killed mid-batch had opened for its owner:
// LocalTree.openAncestors notes each in the client store before opening it, and the batch's end
// drops the note once the mode is back and durable, so a note left is a mode nothing else will
// give back. Runs under the state's lock before a pull and before --update-upstream: no batch
// opens directories meanwhile, and upstream never sees an opened 0755 in place of R's mode.
// core/dir-modes.ts (modeToGiveBack) decides per directory; this shell only looks and chmods.
import { closeSync, constants as fsConstants, fchmodSync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { realRootSync, resolveInRootSync, type Logger } from '@zync/common';
import { modeToGiveBack } from './core/dir-modes.js';
import type { OpenedDir } from './core/types.js';
import type { ClientStore } from './store/client-store.js';

/** Gives each noted directory its mode back where modeToGiveBack says so, then drops the notes; returns how many. */
export function giveBackOpenedDirs(store: ClientStore, logger: Logger): number {
  const notes = store.openedDirs();
  if (notes.length === 0) return 0;
  const realRoots = new Map<string, string>();
  let given = 0;
  // Deepest first: a parent given back 0000 first would refuse its children's chmod.
  const deepestFirst = [...notes].sort((a, b) => b.path.split('/').length - a.path.split('/').length);
  for (const note of deepestFirst) {
    try {
      // The root the killed run wrote in: bound before its pull, and not rebound since.
      const root = store.boundRoot(note.base_dir);
      if (root === undefined) continue;
      let realRoot = realRoots.get(root);
      if (realRoot === undefined) realRoots.set(root, (realRoot = realRootSync(root)));
      const received = store.getEntry(note.base_dir, note.path);
      if (giveBack(resolveInRootSync(realRoot, note.path), note, received?.kind === 'dir' ? received.mode & 0o7777 : null)) given++;
    } catch (err) {
      // A root gone, a symbolic link put above it: nothing of ours to give back there.
      logger.warn(`could not give ${note.base_dir}/${note.path} back its mode ${note.mode.toString(8)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  store.dropOpenedDirs(notes);
  if (given > 0) logger.info(`gave ${given} directory mode(s) back that an interrupted run had opened`);
  return given;
}

/** Through one descriptor of the directory itself (not a link put in its place); durable before its note goes. */
function giveBack(abs: string, note: OpenedDir, received: number | null): boolean {
  let fd: number;
  try {
    fd = openSync(abs, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    // Gone, not a directory, or one its owner may not read: not in the mode the batch opened it to.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') return false;
    throw err;
  }
  try {
    const mode = modeToGiveBack(note.mode, { kind: 'dir', mode: fstatSync(fd).mode & 0o7777 }, received);
    if (mode === null) return false;
    fchmodSync(fd, mode);
    fsyncSync(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}
