// Names of the copies zync keeps instead of overwriting an edit. They must be recognisable to a
// person (`report.zync-conflict-20261122-184700-R.txt`), ignored by scanners on both sides, and
// never sent upstream as ordinary files.
import * as posixPath from 'node:path/posix';

const MARKER = '.zync-conflict-';
const PATTERN = /\.zync-conflict-\d{8}-\d{6}(-\d+)?-[A-Za-z]+(\.|$)/;

function stamp(when: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${when.getUTCFullYear()}${p(when.getUTCMonth() + 1)}${p(when.getUTCDate())}-${p(when.getUTCHours())}${p(when.getUTCMinutes())}${p(when.getUTCSeconds())}`;
}

/**
 * The conflict copy path for relPath. `side` says whose version the copy holds ("R" for R's
 * local edit, "E" for E's, "upstream" for content R sent). `attempt` > 0 disambiguates.
 */
export function conflictCopyPath(relPath: string, when: Date, side: string, attempt = 0): string {
  const dir = posixPath.dirname(relPath);
  const base = posixPath.basename(relPath);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const name = `${stem}${MARKER}${stamp(when)}${attempt > 0 ? `-${attempt}` : ''}-${side}${ext}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

export function isConflictCopy(relPath: string): boolean {
  return PATTERN.test(posixPath.basename(relPath));
}
