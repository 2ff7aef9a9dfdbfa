// Which paths zync never syncs: VCS folders, editor swap and backup files, zync's own temp and
// conflict files, plus the root's `.zyncignore` (gitignore syntax, matched by `ignore`).
import { readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import ignore from 'ignore';
import { isConflictCopy } from './conflict-names.js';

export const IGNORE_FILE = '.zyncignore';
/** Prefix of every temp file zync writes; scanners on both sides skip it. */
export const TEMP_PREFIX = '.zync-tmp-';

export const DEFAULT_IGNORES: readonly string[] = [
  '.git/',
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
  '#*#',
  '4913', // vim's write-permission probe
  '.DS_Store',
  `${TEMP_PREFIX}*`,
];

/** true when relPath (POSIX, relative to the root) must not be synced. */
export type IgnoreMatcher = (relPath: string, isDir: boolean) => boolean;

export function createIgnoreMatcher(rulesText: string | null, extraPatterns: readonly string[] = []): IgnoreMatcher {
  const rules = ignore().add([...DEFAULT_IGNORES, ...extraPatterns]);
  if (rulesText) rules.add(rulesText);
  return (relPath, isDir) => {
    if (isConflictCopy(relPath)) return true;
    return rules.ignores(isDir ? `${relPath}/` : relPath);
  };
}

/** Reads `<root>/.zyncignore` (if present) and returns the matcher for that root. */
export async function loadIgnoreMatcher(root: string, extraPatterns: readonly string[] = []): Promise<IgnoreMatcher> {
  let text: string | null = null;
  try {
    text = await readFile(nodePath.join(root, IGNORE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return createIgnoreMatcher(text, extraPatterns);
}
