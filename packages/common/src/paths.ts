// Path safety: every path that arrives from the wire or a peer is checked here before it is
// joined to a root. Paths on the wire are relative, POSIX, normalised; anything else is refused.
// No I/O in checkRelativePath; resolveInRoot adds the symlink checks that need the disk.
import { lstatSync, realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import * as posixPath from 'node:path/posix';
import * as nodePath from 'node:path';
import { ZyncError } from './protocol/errors.js';
import { MAX_PATH_LENGTH } from './protocol/messages.js';

// Control characters (NUL, newline, ...) are legal in Linux names but are a classic injection
// vector in logs and tools, so zync neither accepts nor produces them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Why path is not a safe relative POSIX path ("it contains a backslash", ...); null when it is one. */
export function unsafePathReason(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'it is empty';
  if (path.length > MAX_PATH_LENGTH) return `it is longer than ${MAX_PATH_LENGTH} characters`;
  if (CONTROL_CHARS.test(path)) return 'it contains a control character';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'it is absolute';
  for (const segment of path.split('/')) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return `it contains "${segment}"`;
  }
  return null;
}

/** Returns the path unchanged if it is a safe relative POSIX path; throws UNSAFE_PATH otherwise. */
export function checkRelativePath(path: string): string {
  const why = unsafePathReason(path);
  if (why !== null) throw new ZyncError('UNSAFE_PATH', `Refused path ${JSON.stringify(path)}: ${why}.`);
  return path;
}

export function isSafeRelativePath(path: string): boolean {
  return unsafePathReason(path) === null;
}

/** Joins a checked relative path to a root (no disk access). */
export function joinInRoot(root: string, relPath: string): string {
  return nodePath.join(root, ...checkRelativePath(relPath).split('/'));
}

/** Whether absolute path `child` is `parent` or lies below it (no disk access: resolve links first). */
export function isInsideDir(child: string, parent: string): boolean {
  const rel = nodePath.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${nodePath.sep}`) && !nodePath.isAbsolute(rel));
}

/** Converts an OS path below root into the wire form (POSIX separators). */
export function toRelativePath(root: string, absPath: string): string {
  const rel = nodePath.relative(root, absPath);
  return nodePath.sep === '/' ? rel : rel.split(nodePath.sep).join('/');
}

/**
 * Resolves relPath inside root, refusing it when any existing ancestor below the root is a
 * symlink (which could lead outside the root) or, with `allowFinalSymlink: false`, when the
 * entry itself is one. Missing ancestors (or an ancestor that is a file) are fine: the writer
 * creates real directories.
 */
export async function resolveInRoot(
  root: string,
  relPath: string,
  options: { allowFinalSymlink?: boolean } = {},
): Promise<string> {
  const segments = checkRelativePath(relPath).split('/');
  const realRoot = await realpath(root);
  let current = realRoot;
  for (let i = 0; i < segments.length; i++) {
    current = nodePath.join(current, segments[i]!);
    const isLast = i === segments.length - 1;
    let stat;
    try {
      stat = await lstat(current);
    } catch (err) {
      // ENOTDIR: an ancestor is a file (R replacing it with a directory stages files below it),
      // so nothing below exists and nothing can be a symlink; whoever writes there first needs
      // the directory made.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') break;
      throw err;
    }
    if (stat.isSymbolicLink() && (!isLast || !options.allowFinalSymlink)) {
      throw new ZyncError(
        'UNSAFE_PATH',
        `Refused path ${JSON.stringify(relPath)}: ${posixPath.join(...segments.slice(0, i + 1))} is a symbolic link.`,
      );
    }
  }
  return nodePath.join(realRoot, ...segments);
}

/**
 * resolveInRoot without the thread pool, for hot paths that serve many small files: the same
 * checks with synchronous lstat calls (microseconds each), and the root's real path given by the
 * caller (who may cache it) instead of a realpath per call.
 */
export function resolveInRootSync(realRoot: string, relPath: string, options: { allowFinalSymlink?: boolean } = {}): string {
  const segments = checkRelativePath(relPath).split('/');
  let current = realRoot;
  for (let i = 0; i < segments.length; i++) {
    current = nodePath.join(current, segments[i]!);
    const isLast = i === segments.length - 1;
    let stat;
    try {
      stat = lstatSync(current, { throwIfNoEntry: false });
    } catch (err) {
      // ENOTDIR: an ancestor is a file, so nothing below it exists (as in resolveInRoot).
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') break;
      throw err;
    }
    if (!stat) break;
    if (stat.isSymbolicLink() && (!isLast || !options.allowFinalSymlink)) {
      throw new ZyncError(
        'UNSAFE_PATH',
        `Refused path ${JSON.stringify(relPath)}: ${posixPath.join(...segments.slice(0, i + 1))} is a symbolic link.`,
      );
    }
  }
  return nodePath.join(realRoot, ...segments);
}

/** The real path of a root (synchronous; callers cache it). */
export function realRootSync(root: string): string {
  return realpathSync(root);
}
