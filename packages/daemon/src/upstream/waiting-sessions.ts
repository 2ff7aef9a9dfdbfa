// The daemon's start-up word on upstream sessions nobody has applied yet: R's edits staged and
// forgotten wait on E for ever (they are never removed), and R's next --update-upstream skips
// what they hold. One line says how many and since when, with the command that lists them. Pure.
import { formatAge, shellWord } from '@zync/common';

/** The line to log, or null when no session waits. `created`: each waiting session's creation time (ms). */
export function waitingSessionsNote(created: readonly number[], now: number, dbGiven: string): string | null {
  if (created.length === 0) return null;
  const oldest = created.reduce((a, b) => Math.min(a, b));
  const when = `${new Date(oldest).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const count = created.length === 1 ? '1 upstream session waits' : `${created.length} upstream sessions wait`;
  const since = created.length === 1 ? 'since' : 'the oldest since';
  return `${count} for zync-apply, ${since} ${when} (${formatAge(oldest, now)}): zync-apply --db ${shellWord(dbGiven)} list shows ${created.length === 1 ? 'it' : 'them'}`;
}
