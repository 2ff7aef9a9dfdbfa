// Why changes could not be applied, in words a user can act on: the pull's "retrying N
// change(s)" line and a pass's "N not yet applied" say it. A change that E rewrote while R
// downloaded it is routine under churn (a build, a checkout): the retry fetches its newer state,
// so a retry for that alone is said at debug; anything else is said at info. So is a streamed
// file that did not hash to E's checksum: E does not hash what it streams, and R's check is how a
// rewrite under a large download is caught (daemon send-file.ts); bytes damaged on the way look
// the same, and a failure that lasts is still said by the pass's line. Pure.
import { ZyncError } from '@zync/common';

/** What a failure is known by: its stable code and its message. */
export interface Failure {
  code: string;
  message: string;
  /** FILE_CHANGED of R's own path (ChangedOnR), raised by this client; absent for E's. */
  onR?: true;
}

/**
 * FILE_CHANGED for a path R changed under the write (apply-batch.ts): told from E's by its class,
 * which the client gives its own, not by its words, which a path name may echo ("notes on R.txt").
 */
export class ChangedOnR extends ZyncError {
  constructor(message: string) {
    super('FILE_CHANGED', message);
    this.name = 'ChangedOnR';
  }
}

export type FailureCause = 'changed-on-e' | 'changed-on-r' | 'checksum' | 'disk-full' | 'other';

/**
 * FILE_CHANGED names both sides: E's daemon answers it for a file written while it was read (any
 * daemon, of any version: it never marks it), and the client raises it for a path R changed under
 * the write, marked `onR`.
 */
export function failureCause(failure: Failure): FailureCause {
  switch (failure.code) {
    case 'FILE_CHANGED':
      return failure.onR ? 'changed-on-r' : 'changed-on-e';
    case 'CHECKSUM_MISMATCH':
      return 'checksum';
    case 'DISK_FULL':
      return 'disk-full';
    default:
      return 'other';
  }
}

const WORDS: Record<Exclude<FailureCause, 'other'>, string> = {
  'changed-on-e': 'changed on E while being downloaded',
  'changed-on-r': 'changed on R while being applied',
  checksum: "arrived not matching E's checksum",
  'disk-full': "R's disk is full",
};

/**
 * The reasons of `failures` in a few words: "changed on E while being downloaded" when they share
 * one, else each with its count, the most common first ("3 changed on E …, 1 failed (EACCES)").
 */
export function failureReasons(failures: readonly Failure[]): string {
  const counts = new Map<string, number>();
  for (const failure of failures) {
    const cause = failureCause(failure);
    const words = cause === 'other' ? `failed (${failure.code})` : WORDS[cause];
    counts.set(words, (counts.get(words) ?? 0) + 1);
  }
  const reasons = [...counts].sort((a, b) => b[1] - a[1]);
  if (reasons.length === 1) return reasons[0]![0];
  return reasons.map(([words, count]) => `${count} ${words}`).join(', ');
}

/** A failure a retry routinely clears: E's file rewritten under its download. */
export function isRoutineFailure(failure: Failure): boolean {
  const cause = failureCause(failure);
  return cause === 'changed-on-e' || cause === 'checksum';
}

/** A retry a user need not hear of at info: every failure is routine. */
export function isRoutineRetry(failures: readonly Failure[]): boolean {
  return failures.length > 0 && failures.every(isRoutineFailure);
}
