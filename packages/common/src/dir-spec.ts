// `name:path` directory specs (`--dirs docs:/srv/docs code:/srv/code`). parseDirSpecs is pure;
// the rest look at the disk: refuseUnusableRoots (touching nothing), makeRoots, resolveRoots, and
// checkDirRoots for roots that must exist (the daemon, zync-apply).
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as nodePath from 'node:path';
import { expandHome } from './home-path.js';
import { findFileInTheWay, makeDirectory, probePath } from './make-directory.js';
import { errnoOf, ZyncError } from './protocol/errors.js';

export interface DirSpec {
  /** The base_dir name used on the wire. */
  name: string;
  /** Absolute local path of the root. */
  root: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** No --dirs at all: said the same way by every binary. */
export function noDirsGiven(): ZyncError {
  return new ZyncError('BAD_ARGUMENT', 'No directories given: pass --dirs NAME:PATH (for example --dirs docs:./docs).');
}

export function parseDirSpecs(specs: readonly string[], cwd: string = process.cwd(), home: string = homedir()): DirSpec[] {
  if (specs.length === 0) throw noDirsGiven();
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
    return { name, root: nodePath.resolve(cwd, expandHome(spec.slice(colon + 1), `Directory spec ${JSON.stringify(spec)}`, home)) };
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
      found = await probePath(dir.root);
    } catch (err) {
      throw new ZyncError('BAD_ARGUMENT', `Directory "${dir.name}" cannot be examined: ${dir.root} (${errnoOf(err) ?? String(err)}).`, { cause: err });
    }
    if (found === 'other') throw new ZyncError('BAD_ARGUMENT', `"${dir.name}" is not a directory: ${dir.root}.`);
    if (found === 'dir') continue;
    if (!options.allowMissing) throw new ZyncError('BAD_ARGUMENT', `Directory "${dir.name}" does not exist: ${dir.root}.`);
    const file = await findFileInTheWay(dir.root);
    if (file !== null) throw new ZyncError('BAD_ARGUMENT', `"${dir.name}" is not a directory: ${dir.root} (${file} is a file).`);
    missing.push(dir);
  }
  const nested = findNestedRoots(dirs);
  if (nested) throw overlapError(nested);
  return missing;
}

/** Makes the roots refuseUnusableRoots found missing (see makeDirectory). */
export function makeRoots(missing: readonly DirSpec[]): void {
  for (const dir of missing) makeDirectory(dir.root, { what: `directory "${dir.name}" at ${dir.root}` });
}

/**
 * The roots with symlinks resolved, once they exist: each must be a directory, and they must not
 * nest once resolved (two names for one directory).
 */
export async function resolveRoots(dirs: readonly DirSpec[]): Promise<DirSpec[]> {
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

/** Roots that must exist already (the daemon, zync-apply): refused as refuseUnusableRoots does, then resolved. */
export async function checkDirRoots(dirs: readonly DirSpec[]): Promise<DirSpec[]> {
  await refuseUnusableRoots(dirs, { allowMissing: false });
  return resolveRoots(dirs);
}
