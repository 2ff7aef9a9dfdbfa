// `name:path` directory specs (`--dirs docs:/srv/docs code:/srv/code`). parseDirSpecs is pure;
// checkDirRoots looks at the disk (roots exist, are directories, are not nested).
import { mkdirSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as nodePath from 'node:path';
import { fromFsError, isZyncError, ZyncError } from './protocol/errors.js';

export interface DirSpec {
  /** The base_dir name used on the wire. */
  name: string;
  /** Absolute local path of the root. */
  root: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A leading `~` or `~/` of a spec's path is the home directory. Shells expand `~` only at the
 * start of a word, so in `--dirs docs:~/docs` it reaches zync unexpanded and would otherwise
 * name a folder literally called `~`. `~user` is refused rather than guessed at.
 */
function expandHome(spec: string, path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return nodePath.join(home, path.slice(2));
  if (path.startsWith('~')) {
    const word = path.split('/')[0]!;
    throw new ZyncError(
      'BAD_ARGUMENT',
      `Directory spec ${JSON.stringify(spec)} starts with ${JSON.stringify(word)}, which zync does not expand; give the full path.`,
    );
  }
  return path;
}

export function parseDirSpecs(specs: readonly string[], cwd: string = process.cwd(), home: string = homedir()): DirSpec[] {
  if (specs.length === 0) {
    throw new ZyncError('BAD_ARGUMENT', 'No directories given: pass --dirs NAME:PATH (for example --dirs docs:./docs).');
  }
  const seen = new Set<string>();
  return specs.map((spec) => {
    const colon = spec.indexOf(':');
    if (colon <= 0 || colon === spec.length - 1) {
      throw new ZyncError('BAD_ARGUMENT', `Directory spec ${JSON.stringify(spec)} is not NAME:PATH (for example docs:./docs).`);
    }
    const name = spec.slice(0, colon);
    if (!NAME.test(name)) {
      throw new ZyncError(
        'BAD_ARGUMENT',
        `Directory name ${JSON.stringify(name)} must start with a letter or digit and use only letters, digits, '.', '_' and '-'.`,
      );
    }
    if (seen.has(name)) throw new ZyncError('BAD_ARGUMENT', `Directory name "${name}" is given twice in --dirs.`);
    seen.add(name);
    return { name, root: nodePath.resolve(cwd, expandHome(spec, spec.slice(colon + 1), home)) };
  });
}

/** Refuses roots where one contains another: one file would belong to two base dirs. */
export function findNestedRoots(dirs: readonly DirSpec[]): [DirSpec, DirSpec] | null {
  for (const a of dirs) {
    for (const b of dirs) {
      if (a === b) continue;
      const rel = nodePath.relative(a.root, b.root);
      if (rel === '' || (!rel.startsWith('..') && !nodePath.isAbsolute(rel))) return [a, b];
    }
  }
  return null;
}

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** What is at a path: a directory, something else, nothing, or an error stat cannot get past. */
async function probe(path: string): Promise<'dir' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

function overlapError(nested: [DirSpec, DirSpec]): ZyncError {
  // "X is inside X" read as a riddle when both names were given the same directory.
  const how = nested[0].root === nested[1].root ? `both are ${nested[0].root}` : `${nested[1].root} is inside ${nested[0].root}`;
  return new ZyncError('BAD_ARGUMENT', `Directories "${nested[0].name}" and "${nested[1].name}" overlap (${how}); give roots that do not nest.`);
}

/**
 * Refuses roots that cannot be used, touching nothing: a root that is not a directory, one
 * below a file (it could never be created), one that cannot be examined, a missing root unless
 * `allowMissing`, and roots that nest as given. Returns the roots that do not exist yet.
 */
export async function refuseUnusableRoots(dirs: readonly DirSpec[], options: { allowMissing: boolean }): Promise<DirSpec[]> {
  const missing: DirSpec[] = [];
  for (const dir of dirs) {
    let found;
    try {
      found = await probe(dir.root);
    } catch (err) {
      throw new ZyncError('BAD_ARGUMENT', `Directory "${dir.name}" cannot be examined: ${dir.root} (${errnoOf(err) ?? String(err)}).`, { cause: err });
    }
    if (found === 'other') throw new ZyncError('BAD_ARGUMENT', `"${dir.name}" is not a directory: ${dir.root}.`);
    if (found === 'dir') continue;
    if (!options.allowMissing) throw new ZyncError('BAD_ARGUMENT', `Directory "${dir.name}" does not exist: ${dir.root}.`);
    // The nearest ancestor that exists must be a directory, or the root can never be made.
    let parent = nodePath.dirname(dir.root);
    while ((await probe(parent).catch(() => 'dir' as const)) === 'missing' && parent !== nodePath.dirname(parent)) {
      parent = nodePath.dirname(parent);
    }
    if ((await probe(parent).catch(() => 'dir' as const)) === 'other') {
      throw new ZyncError('BAD_ARGUMENT', `"${dir.name}" is not a directory: ${dir.root} (${parent} is a file).`);
    }
    missing.push(dir);
  }
  const nested = findNestedRoots(dirs);
  if (nested) throw overlapError(nested);
  return missing;
}

/**
 * Makes the roots refuseUnusableRoots found missing. Synchronous: the client makes them with its
 * new state in one step that no stop (Ctrl-C) can interrupt half way.
 */
export function makeRoots(missing: readonly DirSpec[]): void {
  for (const dir of missing) {
    try {
      mkdirSync(dir.root, { recursive: true });
    } catch (err) {
      const failure = fromFsError(err, `creating ${dir.root}`);
      if (isZyncError(failure)) throw failure;
      throw new ZyncError('BAD_ARGUMENT', `Cannot create directory "${dir.name}" at ${dir.root} (${errnoOf(err) ?? String(err)}).`, { cause: err });
    }
  }
}

/**
 * Checks each root on disk and returns the specs with roots resolved through symlinks.
 * With `create`, missing roots are made (the client), but only once every root passed
 * refuseUnusableRoots: a bad root leaves nothing created. Otherwise they must exist (the daemon).
 */
export async function checkDirRoots(dirs: readonly DirSpec[], options: { create: boolean }): Promise<DirSpec[]> {
  makeRoots(await refuseUnusableRoots(dirs, { allowMissing: options.create }));
  const resolved: DirSpec[] = [];
  for (const dir of dirs) {
    let info;
    try {
      info = await stat(dir.root);
    } catch {
      throw new ZyncError('BAD_ARGUMENT', `Directory "${dir.name}" does not exist: ${dir.root}.`);
    }
    if (!info.isDirectory()) throw new ZyncError('BAD_ARGUMENT', `"${dir.name}" is not a directory: ${dir.root}.`);
    resolved.push({ name: dir.name, root: await realpath(dir.root) });
  }
  const nested = findNestedRoots(resolved);
  if (nested) throw overlapError(nested);
  return resolved;
}
