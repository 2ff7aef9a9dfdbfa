// How long ago a moment was, for a person scanning a list or a log line (a session forgotten for
// days must stand out). Shared by zync-apply and the daemon. Pure.
/**
 * How long ago `ms` was, coarsely, so a forgotten session stands out in a list: `just now`,
 * `5 minutes ago`, `3 hours ago`, `3 days ago` (hours up to two days). A time after `now` (a
 * clock stepped back) is `just now`.
 */
export function formatAge(ms: number, now: number): string {
  const minutes = Math.floor((now - ms) / 60_000);
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (minutes < 1) return 'just now';
  if (minutes < 60) return ago(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return ago(hours, 'hour');
  return ago(Math.floor(hours / 24), 'day');
}
