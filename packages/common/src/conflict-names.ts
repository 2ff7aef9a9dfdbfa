// Names of the copies zync keeps instead of overwriting an edit. They must be recognisable to a
// person (`report.zync-conflict-20261122-184700-R.txt`), ignored by scanners on both sides, and
// never sent upstream as ordinary files.
import * as posixPath from 'node:path/posix';
import { NAME_MAX_BYTES, truncateUtf8 } from './name-length.js';

const MARKER = '.zync-conflict-';
const PATTERN = /\.zync-conflict-\d{8}-\d{6}(-\d+)?-[A-Za-z]+(\.|$)/;

function stamp(when: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${when.getUTCFullYear()}${p(when.getUTCMonth() + 1)}${p(when.getUTCDate())}-${p(when.getUTCHours())}${p(when.getUTCMinutes())}${p(when.getUTCSeconds())}`;
}

/**
 * The conflict copy path for relPath. `side` says whose version the copy holds ("R" for R's
 * local edit, "E" for E's, "upstream" for content R sent). `attempt` > 0 disambiguates.
 * The copy's name stays within NAME_MAX: a long name loses the end of its stem (and of an
 * extension longer than half of what is left), never the marker that makes it a copy.
 */
export function conflictCopyPath(relPath: string, when: Date, side: string, attempt = 0): string {
  const dir = posixPath.dirname(relPath);
  const base = posixPath.basename(relPath);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const marker = `${MARKER}${stamp(when)}${attempt > 0 ? `-${attempt}` : ''}-${side}`;
  const budget = NAME_MAX_BYTES - Buffer.byteLength(marker, 'utf8');
  const keptExt = truncateUtf8(ext, Math.max(Math.floor(budget / 2), budget - Buffer.byteLength(stem, 'utf8')));
  const keptStem = truncateUtf8(stem, budget - Buffer.byteLength(keptExt, 'utf8'));
  const name = `${keptStem}${marker}${keptExt}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

export function isConflictCopy(relPath: string): boolean {
  return PATTERN.test(posixPath.basename(relPath));
}
