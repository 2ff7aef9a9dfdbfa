// Making a directory zync needs (a client's root on R, the directory of a new --db), and telling
// before anything is made whether it ever can be: a path below a file never can. Both answer with
// one sentence, so a bad path is found before connecting, not after hours of retries. Knows
// nothing of what the directory is for: the caller names it.
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { errnoOf, fromFsError, isZyncError, ZyncError } from './protocol/errors.js';

/** What is at a path: a directory, something else, nothing, or an error stat cannot get past. */
export async function probePath(path: string): Promise<'dir' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

/**
 * The file that keeps `path` from being a directory: path itself or its nearest existing
 * ancestor, when that is no directory. null when path is, or may be made, a directory; what
 * cannot be examined (EACCES) is left for the making to report.
 */
export async function findFileInTheWay(path: string): Promise<string | null> {
  let at = nodePath.resolve(path);
  const found = async () => probePath(at).catch(() => 'dir' as const);
  let kind = await found();
  while (kind === 'missing' && at !== nodePath.dirname(at)) {
    at = nodePath.dirname(at);
    kind = await found();
  }
  return kind === 'other' ? at : null;
}

/** How a sentence names a directory and what the user can do instead, for both functions below. */
export interface DirectoryWords {
  /** e.g. `directory "docs" at /r/docs`, `/r/state, the directory of --db`. */
  what: string;
  /** e.g. "pass a --db whose directory exists or can be made"; none: the sentence ends at the reason. */
  advice?: string;
}

const cannotCreate = ({ what, advice }: DirectoryWords, reason: string, cause?: unknown) =>
  new ZyncError('BAD_ARGUMENT', `Cannot create ${what} (${reason})${advice ? `; ${advice}` : ''}.`, cause === undefined ? {} : { cause });

/** Refuses, touching nothing, a directory that could never be made: a file is in its way. */
export async function refuseUnmakeableDirectory(path: string, words: DirectoryWords): Promise<void> {
  const file = await findFileInTheWay(path);
  if (file !== null) throw cannotCreate(words, `${file} is a file`);
}

/**
 * Makes path and its missing parents; returns the first directory it made (undefined when path
 * was there), so that a caller whose next step fails can take back what it made. A full disk is
 * DISK_FULL; any other failure is one sentence. Synchronous: the client makes its roots and state
 * directory in one step that no stop (Ctrl-C) can interrupt half way.
 */
export function makeDirectory(path: string, words: DirectoryWords): string | undefined {
  try {
    return mkdirSync(path, { recursive: true });
  } catch (err) {
    const failure = fromFsError(err, `creating ${path}`);
    if (isZyncError(failure)) throw failure;
    throw cannotCreate(words, errnoOf(err) ?? String(err), err);
  }
}
