// Whether `zync-apply discard ID` may discard a session, decided from its row and how many of its
// entries an apply touched. Only a complete session nothing was applied of can go: once an entry
// was applied (or was being applied: E's disk may have changed) the session is part of E's
// history, and finishing it with `apply` is the way on. A session discarded already is finished
// again (its staged files removed), so a discard cut short completes on a re-run.
// Pure: no I/O.
import { ZyncError } from '@zync/common';
import type { StagingSession } from '@zync/daemon';
import { noSuchSession } from './apply-plan.js';
import { applyCommand } from './command-hints.js';
import { formatTime } from './local-time.js';

export type DiscardPlan = { action: 'discard' } | { action: 'finish' } | { action: 'refuse'; error: ZyncError };

/** `db`: the --db given, for the hints (applyCommand). */
export function planDiscard(session: StagingSession | null, touchedCount: number, stagingId: string, db: string | null): DiscardPlan {
  const refuse = (message: string): DiscardPlan => ({ action: 'refuse', error: new ZyncError('SESSION_NOT_APPLIABLE', message) });
  if (!session) return { action: 'refuse', error: noSuchSession(stagingId, db) };
  switch (session.status) {
    case 'discarded':
      return { action: 'finish' };
    case 'applied':
      return refuse(`Session ${stagingId} was applied on ${formatTime(session.updated)}; an applied session cannot be discarded.`);
    case 'aborted':
      return refuse(`Session ${stagingId} was aborted before it was complete; there is nothing to discard (it can never be applied).`);
    case 'in_progress':
      return refuse(`Session ${stagingId} is still being uploaded; it cannot be discarded until it is complete.`);
    case 'complete':
      return touchedCount > 0
        ? refuse(
            `Session ${stagingId} is partly applied (${touchedCount} of ${session.file_count} changes); it cannot be discarded — finish it with ${applyCommand(db, 'apply', stagingId)}.`,
          )
        : { action: 'discard' };
  }
}
