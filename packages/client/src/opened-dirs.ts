// At start, gives back the modes of directories a run killed mid-batch had opened for its owner:
// LocalTree.openAncestors notes each in the client store before opening it, and the batch's end
// drops the note once the mode is back and durable, so a note left is a mode nothing else will
// give back. Runs under the state's lock before a pull and before --update-upstream: no batch
// opens directories meanwhile, and upstream never sees an opened 0755 in place of R's mode.
// core/dir-modes.ts (modeToGiveBack) decides per directory; this shell only looks and chmods.
import { closeSync, constants as fsConstants, fchmodSync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { isZyncError, realRootSync, resolveInRootSync, type Logger } from '@zync/common';
import { modeToGiveBack } from './core/dir-modes.js';
import type { OpenedDir } from './core/types.js';
import type { ClientStore } from './store/client-store.js';

/**
 * Gives each noted directory its mode back where modeToGiveBack says so, and drops the notes it
 * is done with; returns how many it gave back. A note of a `held` root (its disk not mounted,
 * core/root-disks.ts) or one that met an error (EIO, a read-only mount) stays for the next start:
 * dropped, its directory would keep the opened mode for good once it can be reached again.
 */
export function giveBackOpenedDirs(store: ClientStore, logger: Logger, held: ReadonlySet<string> = new Set()): number {
  const notes = store.openedDirs().filter((note) => !held.has(note.base_dir));
  if (notes.length === 0) return 0;
  const realRoots = new Map<string, string>();
  const done: OpenedDir[] = [];
  let given = 0;
  // Deepest first: a parent given back 0000 first would refuse its children's chmod.
  const deepestFirst = [...notes].sort((a, b) => b.path.split('/').length - a.path.split('/').length);
  for (const note of deepestFirst) {
    try {
      // The root the killed run wrote in: bound before its pull, and not rebound since.
      const root = store.boundRoot(note.base_dir);
      if (root !== undefined) {
        let realRoot = realRoots.get(root);
        if (realRoot === undefined) realRoots.set(root, (realRoot = realRootSync(root)));
        const received = store.getEntry(note.base_dir, note.path);
        if (giveBack(resolveInRootSync(realRoot, note.path), note, received?.kind === 'dir' ? received.mode & 0o7777 : null)) given++;
      }
      done.push(note);
    } catch (err) {
      // A symbolic link put above it (refused by the path checks): nothing of ours to give back there.
      const ours = !isZyncError(err);
      if (!ours) done.push(note);
      const next = ours ? ' (the next start tries again)' : '';
      logger.warn(`could not give ${note.base_dir}/${note.path} back its mode ${note.mode.toString(8)}${next}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  store.dropOpenedDirs(done);
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
