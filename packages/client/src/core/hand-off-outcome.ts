// What a one-shot makes of the running client's failed DONE: the failure it reports as its own.
// Mostly the service's code and sentence as they came. UNKNOWN_OPERATION is the defined answer of
// a service that does not know a request of this one-shot's: an older zync, not restarted since
// the upgrade. Said so here, since that service cannot know what it was asked; and not worked
// around by running in-process: the service holds the state, and an upload beside its pulls could
// hash a file a pull is writing, or send as R's edit a file E just sent. Pure: the answer is data.
import type { ErrorCode, HandOffDone } from '@zync/common';

export type HandOffFailure = { code: ErrorCode; message: string } | { code: null; stack: string };

/** `running`: the running client as a sentence starts ("The running zync-client (pid 42)"). */
export function handOffFailure(done: Extract<HandOffDone, { status: 'error' }>, running: string): HandOffFailure {
  if (done.code === null) return { code: null, stack: done.error };
  if (done.code === 'UNKNOWN_OPERATION') {
    return {
      code: 'INCOMPATIBLE_PROTOCOL',
      message: `${running} runs an older zync, which does not know what this command asks of it (a service not restarted after an upgrade); restart it (the service) with the same zync as this command, then run --update-upstream again.`,
    };
  }
  return { code: done.code, message: done.error };
}
