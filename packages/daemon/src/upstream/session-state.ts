// What UPSTREAM_STATUS tells a client about one of its staging sessions, from the session's row
// and how many of its entries are applied. A session of another client, or none, is `unknown`:
// a client learns nothing of sessions it did not send. Pure: no I/O.
import type { UpstreamSessionState } from '@zync/common';
import type { StagingSession } from './staging-store.js';

export function sessionState(session: (Pick<StagingSession, 'status'> & { applied_count: number }) | null): UpstreamSessionState {
  if (!session) return 'unknown';
  switch (session.status) {
    case 'complete':
      return session.applied_count > 0 ? 'partly_applied' : 'pending';
    case 'in_progress':
      return 'uploading';
    case 'applied':
    case 'discarded':
    case 'aborted':
      return session.status;
  }
}
