// How zync-apply writes a moment for a person: one format in every list, prompt and sentence
// (not ISO in one place and local time in another). `--json` keeps ISO for scripts. Pure.

/** Local time, to the second: `2026-11-22 18:47:00`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

