// Whether the daemon serves every base dir R was given in --dirs (HELLO's `dirs`). Checked before
// R creates anything for a run, and again by each pass. Pure.
import { ZyncError } from '@zync/common';

/** BAD_ARGUMENT (exit 2) naming the --dirs names the daemon does not serve; null when it serves all. */
export function unservedDirsError(served: readonly string[], wanted: readonly string[]): ZyncError | null {
  const missing = wanted.filter((name) => !served.includes(name));
  if (missing.length === 0) return null;
  const list = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  return new ZyncError('BAD_ARGUMENT', `The daemon does not serve ${list(missing)} (it serves ${served.length ? list(served) : 'no directories'}).`);
}
