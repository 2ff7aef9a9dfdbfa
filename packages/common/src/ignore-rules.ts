// Which paths zync never syncs: VCS folders, editor swap and backup files, zync's own temp and
// conflict files, plus the root's `.zyncignore` (gitignore syntax, matched by `ignore`).
import { readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import ignore from 'ignore';
import { isConflictCopy } from './conflict-names.js';
import { ZyncError } from './protocol/errors.js';

export const IGNORE_FILE = '.zyncignore';
/** Prefix of every temp file zync writes; scanners on both sides skip it. */
export const TEMP_PREFIX = '.zync-tmp-';
/**
 * The client's holding area in each root (files R deleted for E's deletions, kept a few minutes
 * to copy from): its name starts with TEMP_PREFIX, so every scanner and sweep that skips temp
 * files skips it too, on both sides, whichever zync version runs there.
 */
export const HOLDING_DIR = `${TEMP_PREFIX}deleted`;

export const DEFAULT_IGNORES: readonly string[] = [
  // A file too: a worktree's or submodule's `.git` names E's repository by its absolute path.
  '.git',
  '.hg/',
  '.svn/',
  '.bzr/',
  '_darcs/',
  'CVS/',
  '*.swp',
  '*.swo',
  '*.swx',
  '*~',
  '.#*',
  '\\#*#', // emacs auto-save; unescaped, a leading # makes the line a comment
  '.DS_Store',
  // JetBrains' safe write: the new content goes to a temp name, the old file is moved aside.
  '*___jb_tmp___',
  '*___jb_old___',
];

/** true when a component of relPath is one of zync's temp names (a temp file, the holding area). */
export function isZyncTempPath(relPath: string): boolean {
  return relPath.startsWith(TEMP_PREFIX) || relPath.includes(`/${TEMP_PREFIX}`);
}

/** true when relPath (POSIX, relative to the root) must not be synced. */
export type IgnoreMatcher = (relPath: string, isDir: boolean) => boolean;

/**
 * `ignore` remembers its answer for every path it is asked about, and for each parent, for as
 * long as the instance lives: a matcher that sees every path of a big tree would hold them all.
 * After this many questions the rules are compiled afresh, which drops that memory.
 */
export const QUESTIONS_PER_RULE_SET = 10_000;

export function createIgnoreMatcher(rulesText: string | null, extraPatterns: readonly string[] = []): IgnoreMatcher {
  const compile = () => {
    const rules = ignore().add([...DEFAULT_IGNORES, ...extraPatterns]);
    return rulesText ? rules.add(rulesText) : rules;
  };
  let rules = compile();
  let asked = 0;
  return (relPath, isDir) => {
    // zync's own names (conflict copies, temp files, the client's holding area) in code, not as
    // patterns: a root's rules could re-include them (`!.*`), and they must never be synced.
    if (isConflictCopy(relPath) || isZyncTempPath(relPath)) return true;
    // The root's rules always sync, whatever they say (`*`, `.*`): R sweeps and sends by its copy
    // of them, and a copy E's rules kept stale would let a resync delete what E ignores.
    if (relPath === IGNORE_FILE && !isDir) return false;
    if (++asked > QUESTIONS_PER_RULE_SET) {
      rules = compile();
      asked = 1;
    }
    return rules.ignores(isDir ? `${relPath}/` : relPath);
  };
}

/**
 * Reads `<root>/.zyncignore` (if present) and returns the matcher for that root. One that is
 * there but cannot be read (or a root that cannot be searched) is refused: syncing without its
 * rules could send what it keeps out.
 */
export async function loadIgnoreMatcher(root: string, extraPatterns: readonly string[] = []): Promise<IgnoreMatcher> {
  const file = nodePath.join(root, IGNORE_FILE);
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new ZyncError('BAD_ARGUMENT', `Cannot read ${file} (${code ?? (err as Error).message}), so what it keeps out of sync is unknown: let the user running zync read it and search ${root}.`, { cause: err });
    }
  }
  return createIgnoreMatcher(text, extraPatterns);
}
