// A leading `~` in a path given on the command line, expanded as a shell would have. Shells expand
// `~` only at the start of a word, so `--dirs docs:~/docs`, `--db='~/c.db'` or a quoted `'~/c.db'`
// reach zync unexpanded and would otherwise name a folder literally called `~`. Pure.
import { homedir } from 'node:os';
import * as nodePath from 'node:path';
import { ZyncError } from './protocol/errors.js';

/**
 * `~` alone is the home directory and `~/x` a path below it; anything else is returned as is.
 * `~user` is refused rather than guessed at: `given` names the input in that sentence
 * (`--db "~bob/c.db"`, `Directory spec "docs:~bob"`).
 */
export function expandHome(path: string, given: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return nodePath.join(home, path.slice(2));
  if (path.startsWith('~')) {
    const word = path.split('/')[0]!;
    throw new ZyncError('BAD_ARGUMENT', `${given} starts with ${JSON.stringify(word)}, which zync does not expand; give the full path.`);
  }
  return path;
}

/**
 * yargs' `coerce` for a path option (`--db`, `--token-file`, ...). An option given twice reaches
 * it as an array, left as it is for refuseRepeatedOptions to refuse by name.
 */
export function homePathOption(flag: string): (value: string) => string {
  return (value) => (typeof value === 'string' ? expandHome(value, `--${flag} ${JSON.stringify(value)}`) : value);
}
