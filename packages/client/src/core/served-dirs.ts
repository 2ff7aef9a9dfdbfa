// Whether the daemon serves every base dir R was given in --dirs (HELLO's `dirs`), and what R says
// of one E holds as unavailable (GET_CHANGES' `unavailable_dirs`) and of one back (when to say
// which: core/away-news.ts). Checked before R creates anything for a run (a name E does not serve
// then is a mistake in --dirs: refused), and again by each pass (a name E stopped serving since:
// its daemon restarted with fewer --dirs; a running client waits for it). Pure.
import { ZyncError } from '@zync/common';

/** BAD_ARGUMENT (exit 2) naming the --dirs names the daemon does not serve; null when it serves all. */
export function unservedDirsError(served: readonly string[], wanted: readonly string[]): ZyncError | null {
  const missing = wanted.filter((name) => !served.includes(name));
  if (missing.length === 0) return null;
  const list = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  return new ZyncError('BAD_ARGUMENT', `The daemon does not serve ${list(missing)} (it serves ${served.length ? list(served) : 'no directories'}).`);
}

/**
 * The warning for a root E holds as unavailable (GET_CHANGES `unavailable_dirs`): E logs nothing
 * of it meanwhile, so "up to date" holds only for what E could see. Not a failure of R's pass.
 */
export function unavailableOnEWarning(name: string): string {
  return `E's root "${name}" is unavailable on E (missing, or emptied: a disk not mounted?); R may be behind for it until it is back there.`;
}

/** The line for a root E held as unavailable and now serves again. */
export function availableOnEAgainNote(name: string): string {
  return `E's root "${name}" is available on E again; R catches up with it.`;
}

/** The warning for a root E stopped serving while the client runs (said once, not at each pass). */
export function unservedWarning(name: string): string {
  return `E no longer serves "${name}" (its daemon runs without it in --dirs); R keeps its copy as it is, syncs the other roots, and picks "${name}" up again once E serves it.`;
}

/** The line for a root E serves again. */
export function servedAgainNote(name: string): string {
  return `E serves "${name}" again; R catches up with it.`;
}
