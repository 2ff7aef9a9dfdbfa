// Which directories sit on a file system without hard links (FAT, some FUSE and network file
// systems), as this process has learnt from link(2) failing there. One memo for every writer
// that links (atomic-write.ts, process-lock.ts), so what one learns about a directory the other
// knows too. It makes no link itself: callers try theirs and report how it failed. Per
// directory, not per process: one root on such a file system (a FAT stick, a mount inside a
// root) must not take the link, and what it guards against, from every other directory.
import * as nodePath from 'node:path';

/** What link(2) fails with where a file system has no hard links. */
const NO_HARD_LINKS_CODES = new Set(['EPERM', 'EOPNOTSUPP', 'ENOTSUP', 'ENOSYS']);
/** Absolute paths of the directories where link(2) failed so. */
const learnt = new Set<string>();

/** True once a link into dir has failed for want of hard links. */
export function hasNoHardLinks(dir: string): boolean {
  return learnt.has(nodePath.resolve(dir));
}

/**
 * Records dir when err, from link(2) to a name in it, means its file system has no hard links,
 * and says whether it did. EEXIST says nothing either way: Linux refuses an existing name before
 * it checks for links (EEXIST onto an existing name even on vfat, EPERM onto a new one).
 */
export function noteLinkFailure(dir: string, err: unknown): boolean {
  if (!NO_HARD_LINKS_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return false;
  learnt.add(nodePath.resolve(dir));
  return true;
}
