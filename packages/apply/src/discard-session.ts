// Executes `zync-apply discard ID`: asks (when someone is there to ask), records the session as
// discarded, then removes its staged files. The state change is committed before any file is
// removed: a crash in between leaves a discarded session with files, which a re-run (or the
// daemon's start-up sweep, which keeps staged files of complete sessions only) removes — never
// a pending session with its content gone. Decisions come from discard-plan.ts.
import { rm } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { inertLine, ZyncError } from '@zync/common';
import { stagingRootFor, type StagingSession, type StagingStore } from '@zync/daemon';
import { applyCommand } from './command-hints.js';
import { planDiscard } from './discard-plan.js';
import { sentBy } from './format.js';
import { formatTime } from './local-time.js';

export interface DiscardContext {
  staging: StagingStore;
  stateDir: string;
  /** The --db given, or null for the default: hints name it (applyCommand). */
  db: string | null;
  /** null: no one to ask (--non-interactive). */
  confirm: ((question: string) => Promise<boolean>) | null;
  now?: () => number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What discarding means, asked before it is done. */
export function discardQuestion(s: StagingSession): string {
  return (
    `Discard session ${s.staging_id} (${plural(s.file_count, 'change')} from ${inertLine(sentBy(s))}, staged ${formatTime(s.created)})? ` +
    `Nothing on E changes; R sends these changes again at its next --update-upstream.`
  );
}

/** Returns the line to print; throws QUIT when the person does not confirm. */
export async function discardSession(ctx: DiscardContext, stagingId: string): Promise<string> {
  const now = ctx.now ?? Date.now;
  const session = ctx.staging.getSession(stagingId);
  const plan = planDiscard(session, ctx.staging.touchedCount(stagingId), stagingId, ctx.db);
  if (plan.action === 'refuse') throw plan.error;
  const blobDir = nodePath.join(stagingRootFor(ctx.stateDir), stagingId);
  if (plan.action === 'discard') {
    if (ctx.confirm && !(await ctx.confirm(discardQuestion(session!)))) {
      // Not "done": the binary exits with QUIT, so a script can tell a session kept from one dropped.
      throw new ZyncError(
        'QUIT',
        `Session ${stagingId} was not discarded: it was not confirmed at the prompt, and nothing was changed — run ${applyCommand(ctx.db, 'discard', stagingId)} again to discard it.`,
      );
    }
    // An apply may have started between the look and now (it holds the same lock, so only
    // before this command took it): the row-level rule decides, and says so.
    if (!ctx.staging.discardSession(stagingId, 'discarded with zync-apply discard', now())) {
      const again = planDiscard(ctx.staging.getSession(stagingId), ctx.staging.touchedCount(stagingId), stagingId, ctx.db);
      throw again.action === 'refuse' ? again.error : new ZyncError('INTERNAL', `Session ${stagingId} changed while it was being discarded.`);
    }
  }
  await rm(blobDir, { recursive: true, force: true });
  return plan.action === 'finish'
    ? `Session ${stagingId} was discarded already; its staged content is removed.`
    : `Discarded session ${stagingId} (${plural(session!.file_count, 'change')}); its staged content is removed. R sends these changes again at its next zync-client --update-upstream.`;
}
