// The unified diff shown for a conflict: E's current file against R's staged content, computed
// with `diff` (createTwoFilesPatch) and coloured with the chalk instance given (level 0 = plain).
// Binary or oversized content is not diffed: it is described by sizes and hashes instead. Both
// sides' text and labels may come from R: control characters in them are shown as escapes
// (inertText), so the person approves what they see; the diff itself is of the real bytes.
// Pure: the shell reads the (bounded) contents and prints the result.
import { createTwoFilesPatch } from 'diff';
import type { ChalkInstance } from 'chalk';
import { inertLine, inertText } from '@zync/common';

/** Content larger than this is described, not diffed (a diff needs both sides in memory). */
export const MAX_DIFF_BYTES = 2 * 1024 * 1024;

export interface DiffSide {
  /** Shown in the diff header, e.g. "E: docs/a.txt". */
  label: string;
  /** false: no file on this side. */
  present: boolean;
  checksum: string | null;
  size: number;
  /** The bytes, or null when they were too large to load. */
  content: Buffer | null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** NUL bytes in the first 8 KiB, or bytes that are not valid UTF-8, mean "binary". */
export function isBinary(content: Buffer): boolean {
  const head = content.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return false;
  } catch {
    return true;
  }
}

const describe = (side: DiffSide) =>
  side.present ? `${formatBytes(side.size)}, sha256 ${side.checksum?.slice(0, 16) ?? '?'}…` : 'absent';

export function renderDiff(e: DiffSide, upstream: DiffSide, chalk: ChalkInstance): string {
  const sides = [e, upstream];
  const tooLarge = sides.some((s) => s.present && s.content === null);
  const binary = sides.some((s) => s.content !== null && isBinary(s.content));
  if (tooLarge || binary) {
    const why = binary ? 'Binary file' : `Too large to diff (over ${formatBytes(MAX_DIFF_BYTES)})`;
    return [
      chalk.bold(`${why}; not shown as a diff.`),
      `  ${chalk.red(`E's current:  ${describe(e)}`)}`,
      `  ${chalk.green(`upstream (R): ${describe(upstream)}`)}`,
    ].join('\n');
  }
  const text = (s: DiffSide) => (s.content ? s.content.toString('utf8') : '');
  const patch = createTwoFilesPatch(
    e.present ? inertLine(e.label) : '/dev/null',
    upstream.present ? inertLine(upstream.label) : '/dev/null',
    text(e),
    text(upstream),
    e.present ? "E's current" : 'absent',
    upstream.present ? 'upstream (R)' : 'deleted on R',
    { context: 3 },
  );
  return patch
    .split('\n')
    .filter((line, i) => !(i === 0 && line.startsWith('====')))
    .map((line) => inertText(line)) // before colouring: the only escape sequences printed are chalk's
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return chalk.bold(line);
      if (line.startsWith('@@')) return chalk.cyan(line);
      if (line.startsWith('+')) return chalk.green(line);
      if (line.startsWith('-')) return chalk.red(line);
      if (line.startsWith('\\')) return chalk.dim(line);
      return line;
    })
    .join('\n')
    .trimEnd();
}
