// What zync-apply prints: the session list and a session's entries as JSON, or as an aligned
// table (coloured on a terminal, plain when piped: the chalk instance given decides), and the
// summary after an apply. Text that came from R (paths, the client id) is printed through
// inertLine, so that control characters in it show as escapes instead of acting on the terminal.
// Pure: no I/O; the binary writes the strings to stdout.
import type { ChalkInstance } from 'chalk';
import { describeEChange, formatAge, inertLine } from '@zync/common';
import { DIR_TOKEN, type StagedEntry, type StagingSession, type Superseded } from '@zync/daemon';
import { contentConflicts, eChangeFor, fileOverDir, modeFor, rFileMode, writtenMode, type Blocked, type Decision } from './apply-plan.js';
import { applyCommand } from './command-hints.js';
import { formatBytes } from './diff-view.js';
import { formatTime } from './local-time.js';

export interface SessionJson {
  staging_id: string;
  status: StagingSession['status'];
  file_count: number;
  /** Conflicts when the session was staged; `show --json` adds `conflict_count_now`, against E now. */
  conflict_count: number;
  /** ISO 8601 (UTC). */
  created: string;
  client_id: string;
  /** R's host name as its client gave it; null from an older client. */
  host_name: string | null;
  received_count: number;
  /** Entries already applied: between 0 and file_count while an interrupted apply waits to be resumed. */
  applied_count: number;
  reason: string | null;
  /** Entries of a pending session that later sessions from the same R hold too, and those sessions (list only). */
  superseded_count?: number;
  superseded_by?: string[];
}

export function sessionJson(s: StagingSession, appliedCount = 0, superseded?: Superseded): SessionJson {
  return {
    staging_id: s.staging_id,
    status: s.status,
    file_count: s.file_count,
    conflict_count: s.conflict_count,
    created: new Date(s.created).toISOString(),
    client_id: s.client_id,
    host_name: s.host_name,
    received_count: s.received_count,
    applied_count: appliedCount,
    reason: s.reason,
    ...(superseded ? { superseded_count: superseded.count, superseded_by: superseded.by } : {}),
  };
}

/** Which R sent a session, in a list or a question: its host name, or (from an older client) its client id. */
export function sentBy(s: StagingSession): string {
  return s.host_name ?? s.client_id;
}

/** Which R sent a session, in a sentence: `r-laptop (zync-client-…)`, or the client id alone. */
export function senderOf(s: StagingSession): string {
  return s.host_name === null ? s.client_id : `${s.host_name} (${s.client_id})`;
}

/** A complete session an interrupted (or quit) apply left half done says so: `partly applied (120/500)`. */
function statusText(s: StagingSession, appliedCount: number, superseded?: Superseded): string {
  const status = s.status === 'complete' && appliedCount > 0 ? `partly applied (${appliedCount}/${s.file_count})` : s.status;
  if (!superseded) return status;
  const by = superseded.by.join(', ');
  return superseded.count >= s.file_count ? `superseded by ${by}` : `${status}, ${superseded.count}/${s.file_count} superseded by ${by}`;
}

type Cell = { text: string; paint?: (s: string) => string };

/** The narrowest a shortened column gets: enough of a path's start and end to tell it. */
const MIN_FIT_WIDTH = 24;

/**
 * text in at most `max` characters: its start and its end (a path's file name), joined by `…`.
 * Counts code points, so a character outside the BMP is never split.
 */
export function shortenMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = Math.max(max - 1, 2);
  const head = Math.floor(keep / 3);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

/**
 * Columns padded to their widest cell; colour is applied after padding so widths stay right.
 * `fit`: a terminal's width, and the column whose long cells are shortened (shortenMiddle) so the
 * rows fit it where they can; without it every cell is whole.
 */
function table(header: string[], cells: Cell[][], chalk: ChalkInstance, fit?: { columns: number; column: number }): string {
  let rows = cells.map((r) => r.map((c) => ({ ...c, text: inertLine(c.text) }))); // escaped before widths are measured
  const measure = () => header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] === undefined ? 0 : Array.from(r[i]!.text).length))));
  if (fit) {
    const before = measure();
    const total = before.reduce((a, b) => a + b, 0) + 2 * (header.length - 1);
    const max = Math.max(MIN_FIT_WIDTH, before[fit.column]! - (total - fit.columns));
    if (total > fit.columns && max < before[fit.column]!) {
      rows = rows.map((r) => r.map((c, i) => (i === fit.column ? { ...c, text: shortenMiddle(c.text, max) } : c)));
    }
  }
  const widths = measure();
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c.text : c.text + ' '.repeat(Math.max(0, widths[i]! - Array.from(c.text).length));
        return c.paint ? c.paint(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header.map((h) => ({ text: h, paint: chalk.bold }))), ...rows.map(line)].join('\n');
}

function statusPaint(status: StagingSession['status'], chalk: ChalkInstance): (s: string) => string {
  switch (status) {
    case 'complete':
      return chalk.cyan;
    case 'applied':
      return chalk.green;
    case 'aborted':
      return chalk.red;
    case 'in_progress':
      return chalk.yellow;
    case 'discarded':
      return chalk.dim;
  }
}

export function formatSessionList(
  sessions: readonly StagingSession[],
  chalk: ChalkInstance,
  /** db: the --db given, or null for the default, named in the hints (applyCommand). */
  options: { all: boolean; db: string | null; now: number; applied?: ReadonlyMap<string, number>; superseded?: ReadonlyMap<string, Superseded> },
): string {
  if (sessions.length === 0) {
    return options.all ? 'No staging sessions.' : `No staging sessions waiting to be applied (${applyCommand(options.db, 'list', '--all')} shows every session).`;
  }
  const rows: Cell[][] = sessions.map((s) => [
    { text: s.staging_id },
    { text: statusText(s, options.applied?.get(s.staging_id) ?? 0, options.superseded?.get(s.staging_id)), paint: statusPaint(s.status, chalk) },
    { text: String(s.status === 'aborted' ? `${s.received_count}/${s.file_count}` : s.file_count) },
    { text: String(s.conflict_count), paint: s.conflict_count > 0 ? chalk.red : chalk.dim },
    { text: sentBy(s) },
    { text: `${formatTime(s.created)} (${formatAge(s.created, options.now)})` },
  ]);
  // The count is the one FINALIZE_UPSTREAM made; recounting against E would hash every pending
  // entry of every session on each list. Said in the header, and how to get today's count.
  const listed = table(['STAGING ID', 'STATUS', 'FILES', 'CONFLICTS AT STAGING', 'FROM', 'CREATED'], rows, chalk);
  if (!sessions.some((s) => s.status === 'complete')) return listed;
  const notes = [`Conflicts as counted when each session was staged; ${applyCommand(options.db, 'show', 'ID')} counts them against E's files now.`];
  if (sessions.some((s) => options.superseded?.has(s.staging_id))) {
    notes.push(`Superseded: a later session from the same R holds those paths again; ${applyCommand(options.db, 'discard', 'ID')} drops an older session.`);
  }
  return `${listed}\n${notes.map((n) => chalk.dim(n)).join('\n')}`;
}

/** One entry as `show` reports it: the staged facts plus its state against E now. */
export interface ShownEntry {
  entry: StagedEntry;
  /** E's content now as a token (null: absent; 'dir': a directory). */
  e_checksum: string | null;
  /** E's file's permission bits now (null: not a file). */
  e_mode: number | null;
  conflict: boolean;
  e_changed_since_base: boolean;
  /** Below this directory of R's, E's version was kept: the entry will be skipped (null: not). */
  kept_above?: string | null;
  /** What blocks the path on E (effectiveBlock; null: nothing). */
  e_blocked?: Blocked | null;
  /** E holds what R's other session put there (rVersionOf; null: none did). */
  r_version?: { staging_id: string; earlier: boolean } | null;
}

export function showJson(session: StagingSession, entries: readonly ShownEntry[]) {
  return {
    ...sessionJson(session, entries.filter((e) => e.entry.apply_state === 'applied').length),
    conflict_count_now: entries.filter((e) => e.conflict && e.entry.apply_state !== 'applied').length,
    entries: entries.map(({ entry: e, e_checksum, e_mode, conflict, e_changed_since_base, kept_above, e_blocked, r_version }) => ({
      base_dir: e.base_dir,
      path: e.path,
      kind: e.kind,
      operation: e.operation,
      size: e.size,
      checksum: e.checksum,
      base_checksum: e.base_checksum,
      e_checksum,
      e_checksum_at_staging: e.e_checksum,
      mode: e.mode,
      /** The bits R received (null: unknown, or new on R); see modeFor. */
      base_mode: e.base_mode ?? null,
      e_mode,
      conflict,
      conflict_at_staging: e.conflict,
      /** What E did since R's base (null: E still holds it, or e_blocked says); see EChange. */
      e_change: e_blocked ? null : eChangeFor(e, e_checksum),
      /** E's file or symbolic link at this path or above it, in R's entry's way (null: none); see Blocked. */
      e_blocked: e_blocked ?? null,
      /** E holds what R's session staging_id (staged before this one, or after) put there; see rVersionOf. */
      r_version: r_version ?? null,
      e_changed_since_base,
      /** E's version of this directory of R's was kept, so the entry is skipped (null: not). */
      kept_above: kept_above ?? null,
      apply_state: e.apply_state,
      resolution: e.resolution,
      backup: e.backup,
      copy_path: e.copy_path,
    })),
  };
}

const RESOLUTION_TEXT: Record<NonNullable<StagedEntry['resolution']>, string> = {
  upstream: 'applied (took upstream)',
  kept_e: "resolved (kept E's)",
  kept_both: 'resolved (kept both)',
  unchanged: 'applied (E already had it)',
};

const octal = (mode: number) => mode.toString(8).padStart(3, '0');

/** `R 644 -> 600, E 644 -> 755` for permission bits both sides changed. */
function modeChanges(e: Pick<StagedEntry, 'mode'> & { base_mode?: number | null }, eMode: number | null): string {
  const base = octal(e.base_mode ?? 0);
  return `R ${base} -> ${octal(e.mode ?? 0)}, E ${base} -> ${octal(eMode ?? 0)}`;
}

function entryState(s: ShownEntry, chalk: ChalkInstance): Cell {
  const e = s.entry;
  if (e.apply_state === 'applied') return { text: RESOLUTION_TEXT[e.resolution ?? 'upstream'], paint: chalk.green };
  if (s.kept_above) return { text: `skipped: E's version of ${e.base_dir}/${s.kept_above} was kept`, paint: chalk.dim };
  const staged = e.conflict === s.conflict ? '' : ` (at staging: ${e.conflict ? 'conflict' : 'clean'})`;
  if (s.e_blocked) return { text: `CONFLICT: ${blockedWords(s.e_blocked)}${staged}`, paint: chalk.red };
  if (s.r_version && !s.r_version.earlier) return { text: `ok: superseded: R's later session ${s.r_version.staging_id} was applied${staged}`, paint: chalk.dim };
  const mode = modeFor(e, s.e_mode);
  if (s.conflict && contentConflicts(e, s.e_checksum)) return { text: `CONFLICT: ${describeEChange(eChangeFor(e, s.e_checksum))}${staged}`, paint: chalk.red };
  if (s.conflict) return { text: `CONFLICT: permissions: ${modeChanges(e, s.e_mode)}${staged}`, paint: chalk.red };
  if (e.kind === 'file' && e.operation !== 'delete' && e.checksum === s.e_checksum && mode.mode !== null && s.e_mode !== null && mode.mode !== s.e_mode) {
    return { text: `ok: same content, permissions ${octal(s.e_mode)} -> ${octal(mode.mode)}${staged}` };
  }
  if (s.e_changed_since_base) return { text: `ok: E already holds R's version${staged}`, paint: chalk.green };
  if (s.r_version) return { text: `ok: E holds R's version from session ${s.r_version.staging_id}${staged}` };
  // R's content goes in with E's own chmod kept: said, since R's file has other bits; and so is
  // the loss of E's set-ID bits to R's new content (writtenMode).
  const written = writtenMode(mode.mode, e.kind === 'file' && e.operation !== 'delete' && s.e_checksum !== e.checksum);
  const keptE = written !== null && e.mode !== null && written !== rFileMode(e.mode) ? `; E's permissions ${octal(written)} stay (R made no chmod)` : '';
  const dropped = written !== mode.mode ? "; E's set-ID bits are dropped (R's content replaces E's)" : '';
  return { text: `ok: E unchanged since R's base${keptE}${dropped}${staged}` };
}

/** What R did to the path, as a conflict names it. */
function describeRChange(e: Pick<StagedEntry, 'kind' | 'operation' | 'base_checksum'>): string {
  if (e.kind === 'dir') {
    if (e.operation === 'delete') return 'R removed the directory';
    return e.base_checksum === null ? 'R made a directory here' : 'R replaced the file with a directory';
  }
  return e.operation === 'add' ? 'R added it' : e.operation === 'modify' ? 'R modified it' : 'R deleted it';
}

/** What E did where its tree blocks R's entry (see Blocked). */
function blockedWords(b: Blocked): string {
  switch (b.kind) {
    case 'file':
      return `E replaced the directory ${b.path} with a file`;
    case 'link':
      return `E holds a symbolic link at ${b.path}`;
    case 'special':
      return `E holds a socket, FIFO or device at ${b.path}`;
  }
}

/** In place of a diff: what blocks the path, and what taking R's version would do. */
export function describeBlocked(b: Blocked): string {
  if (b.kind === 'file') return `E holds a file at ${inertLine(b.path)} where R's entry needs a directory; taking R's version backs E's file up and makes the directory.`;
  return `${blockedWords({ ...b, path: inertLine(b.path) })}; zync never writes through one.`;
}

/** The summary's line for an entry kept because E's tree blocks it. */
export function blockedNote(e: Pick<StagedEntry, 'base_dir' | 'path'>, b: Blocked): string {
  const what = `${e.base_dir}/${e.path}`;
  if (b.kind === 'file') return `Kept E's file ${e.base_dir}/${b.path}: R's ${what} needs a directory there, so it was not applied.`;
  const thing = b.kind === 'link' ? 'symbolic link' : 'socket, FIFO or device';
  return `Kept E's ${thing} ${e.base_dir}/${b.path}: zync does not ${b.path === e.path ? 'replace' : 'write through'} one, so R's ${what} was not applied.`;
}

/**
 * Both sides of a conflict, given E's content token and permission bits now: `R modified it; E
 * deleted it.`, and the bits when both changed them; or what in E's tree blocks the path.
 */
export function conflictHeadline(
  e: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'base_checksum' | 'mode'> & { base_mode?: number | null },
  eToken: string | null,
  eMode: number | null = null,
  blocked: Blocked | null = null,
): string {
  if (blocked) return `${describeRChange(e)}; ${blockedWords(blocked)}.`;
  const parts = [];
  if (contentConflicts(e, eToken)) parts.push(`${describeRChange(e)}; ${describeEChange(eChangeFor(e, eToken))}.`);
  if (modeFor(e, eMode).conflict) parts.push(`Both changed the permissions: ${modeChanges(e, eMode)}.`);
  return parts.join(' ');
}

/** What taking R's version does to E, given E's token now. */
function upstreamLabel(e: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'mode'>, eToken: string | null): string {
  const eFile = eToken !== null && eToken !== DIR_TOKEN;
  if (e.kind === 'file' && e.operation !== 'delete' && eToken === e.checksum && e.mode !== null) {
    return `take upstream: give E's file R's permission bits (${octal(rFileMode(e.mode))})`;
  }
  if (e.operation === 'delete') {
    return eToken === DIR_TOKEN ? "take upstream: remove E's directory (only if it is empty)" : "take upstream: delete E's file (it is backed up)";
  }
  if (e.kind === 'dir') return eFile ? "take upstream: make R's directory (E's file is backed up)" : "take upstream: make R's directory";
  // Offered only for an empty directory (decisionsFor).
  if (eToken === DIR_TOKEN) return "take upstream: R's file replaces E's empty directory (nothing to back up)";
  return eToken === null ? "take upstream: R's version re-creates the file (E has nothing to back up)" : "take upstream: R's version replaces E's (E's is backed up)";
}

const entriesText = (n: number) => (n === 1 ? '1 entry' : `${n} entries`);

/** What keeping E's version leaves, given E's token now. */
function keepELabel(e: Pick<StagedEntry, 'kind' | 'operation'>, eToken: string | null, eDirEmpty: boolean, below: number): string {
  if (fileOverDir(e, eToken)) {
    return eDirEmpty ? "keep E's version: the empty directory stays" : "keep E's directory (R's file cannot replace a directory that holds files)";
  }
  // A directory of R's not made: what R put in it is skipped too (keptAbove), and the person is told.
  if (e.kind === 'dir' && e.operation !== 'delete' && below > 0) {
    const left = `R's directory is not made, nor the ${entriesText(below)} R put in it`;
    return eToken === null ? `keep E's version: nothing there (${left})` : `keep E's ${eToken === DIR_TOKEN ? 'directory' : 'file'} (${left})`;
  }
  if (eToken !== null) return "keep E's version";
  return e.kind === 'file' ? "keep E's version: the file stays deleted" : "keep E's version: nothing there";
}

/**
 * What each choice does to E, given E's token now (whether E's directory is empty; how many
 * entries R put below a directory it made): a person must not be told E's file is backed up, or
 * replaced, where E deleted it, nor be surprised by what keeping E's version leaves out.
 */
export function decisionLabels(
  e: Pick<StagedEntry, 'kind' | 'operation' | 'checksum' | 'mode'>,
  eToken: string | null,
  options: { dirEmpty?: boolean; below?: number; blocked?: Blocked | null } = {},
): Record<Decision, string> {
  const b = options.blocked;
  if (b) {
    const thing = b.kind === 'file' ? 'file' : b.kind === 'link' ? 'symbolic link' : 'socket, FIFO or device';
    return {
      upstream: `take upstream: replace E's file ${b.path} with a directory (E's file is backed up)`, // offered for a file only
      keep_e: `keep E's ${thing} ${b.path} (R's entry is not applied)`,
      keep_both: "keep both: E's stays, R's is written beside it as a conflict copy",
    };
  }
  return {
    upstream: upstreamLabel(e, eToken),
    keep_e: keepELabel(e, eToken, options.dirEmpty ?? false, options.below ?? 0),
    keep_both: "keep both: E's stays, R's is written beside it as a conflict copy",
  };
}

/**
 * `columns`: the terminal's width, where the output goes to one: a long path is shortened in the
 * middle to fit it (said below the table); elsewhere (a pipe, a file) and with --json, paths are whole.
 */
export function formatShow(session: StagingSession, entries: readonly ShownEntry[], chalk: ChalkInstance, now: number, columns?: number): string {
  const conflicts = entries.filter((e) => e.conflict && e.entry.apply_state !== 'applied').length;
  const applied = entries.filter((e) => e.entry.apply_state === 'applied').length;
  const head = [
    `${chalk.bold(`Session ${session.staging_id}`)}  ${statusPaint(session.status, chalk)(statusText(session, applied))}  from ${inertLine(senderOf(session))}  created ${formatTime(session.created)} (${formatAge(session.created, now)})`,
    `${entries.length === 1 ? '1 entry' : `${entries.length} entries`}, ${conflicts === 1 ? '1 conflict' : `${conflicts} conflicts`} against E now` +
      (session.reason ? ` — ${inertLine(session.reason)}` : ''),
  ];
  if (entries.length === 0) return head.join('\n');
  const opPaint: Record<StagedEntry['operation'], (s: string) => string> = { add: chalk.green, modify: chalk.yellow, delete: chalk.red };
  const rows: Cell[][] = entries.map((s) => [
    { text: s.entry.base_dir },
    { text: s.entry.kind === 'dir' ? `${s.entry.path}/` : s.entry.path },
    { text: s.entry.operation, paint: opPaint[s.entry.operation] },
    { text: s.entry.operation === 'delete' || s.entry.kind === 'dir' ? '-' : formatBytes(s.entry.size) },
    entryState(s, chalk),
  ]);
  const shown = table(['BASE DIR', 'PATH', 'OPERATION', 'SIZE', 'STATE'], rows, chalk, columns === undefined ? undefined : { columns, column: 1 });
  const shortened = columns !== undefined && shown !== table(['BASE DIR', 'PATH', 'OPERATION', 'SIZE', 'STATE'], rows, chalk);
  return [...head, '', shown, ...(shortened ? ['', chalk.dim('Long paths are shortened with … to fit the terminal; --json, or piping the output, shows them whole.')] : [])].join('\n');
}

export interface ApplyTally {
  written: number;
  /** Files whose content E already held, given R's permission bits. */
  modes: number;
  deleted: number;
  dirs_created: number;
  dirs_removed: number;
  kept_e: number;
  kept_both: number;
  unchanged: number;
  /** Entries below a directory of R's where E's version was kept (skippedNote says which). */
  skipped: number;
  /** Conflicts --force settled as R's version (also counted as written, deleted...): nobody was asked. */
  forced: number;
}

export function emptyTally(): ApplyTally {
  return { written: 0, modes: 0, deleted: 0, dirs_created: 0, dirs_removed: 0, kept_e: 0, kept_both: 0, unchanged: 0, skipped: 0, forced: 0 };
}

/** Why entries were skipped: `what` is the directory of R's where E's version was kept. */
export function skippedNote(what: string, skipped: number): string {
  return `Kept E's version of ${what}: R's directory was not made, and the ${entriesText(skipped)} R put in it ${skipped === 1 ? 'was' : 'were'} skipped.`;
}

/**
 * The summary's lines. The first says how the run ended; after a quit it is the one sentence the
 * binary exits with (QUIT): what was applied, and how to continue.
 */
export function formatSummary(r: {
  staging_id: string;
  /** The --db given, or null for the default: the hint to continue names it (applyCommand). */
  db: string | null;
  tally: ApplyTally;
  finished: boolean;
  /** Not finished because of this signal (SIGINT, SIGTERM), not a quit at a prompt. */
  stopped_by?: string | undefined;
  remaining: number;
  /** Entries an earlier (quit or interrupted) run applied. */
  applied_before?: number;
  backupDir: string | null;
  copies: readonly string[];
  notes?: readonly string[];
}): [head: string, ...details: string[]] {
  const t = r.tally;
  const dirs = (n: number, what: string) => (n === 0 ? [] : [`${n} ${n === 1 ? 'directory' : 'directories'} ${what}`]);
  const parts = [
    `${t.written} written`,
    ...(t.modes ? [`${t.modes} permission change${t.modes === 1 ? '' : 's'}`] : []),
    `${t.deleted} deleted`,
    ...dirs(t.dirs_created, 'created'),
    ...dirs(t.dirs_removed, 'removed'),
    ...(t.kept_e ? [`${t.kept_e} kept E's version`] : []),
    ...(t.kept_both ? [`${t.kept_both} kept both`] : []),
    ...(t.unchanged ? [`${t.unchanged} already in place`] : []),
    ...(t.skipped ? [`${t.skipped} skipped`] : []),
    ...(t.forced ? [`${t.forced === 1 ? '1 conflict' : `${t.forced} conflicts`} resolved as R's version (--force)`] : []),
  ];
  const again = ` — run ${applyCommand(r.db, 'apply', r.staging_id)} again to continue.`;
  const before = r.applied_before ?? 0;
  // Every entry this run settled (written, kept, already in place...) counts in the tally.
  const nothing = Object.values(t).every((n) => n === 0);
  const how = r.stopped_by === undefined ? 'Quit at the prompt' : `Stopped by ${r.stopped_by}`;
  let head: string;
  if (r.finished) head = `Applied session ${r.staging_id}: ${parts.join(', ')}.`;
  else if (!nothing) head = `${how}: session ${r.staging_id} is partly applied (${parts.join(', ')}; ${r.remaining} left), and what was applied stays${again}`;
  else if (before === 0) head = `${how}: nothing of session ${r.staging_id} was applied (${r.remaining} left)${again}`;
  else head = `${how}: nothing more of session ${r.staging_id} was applied (${before} applied before; ${r.remaining} left)${again}`;
  const lines: [string, ...string[]] = [head];
  if (r.backupDir) lines.push(`E's previous versions were backed up under ${r.backupDir}`);
  for (const copy of r.copies) lines.push(`Upstream version kept beside E's as ${inertLine(copy)}`);
  lines.push(...(r.notes ?? []).map(inertLine));
  return lines;
}
