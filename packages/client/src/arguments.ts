// Checks on zync-client's command-line values that yargs cannot express, and choices made from
// them. Pure: each takes the parsed values and returns, or throws a ZyncError (BAD_ARGUMENT,
// exit 2) with one sentence.
import { noDirsGiven, ZyncError, type LogLevel } from '@zync/common';
import type { ProgressMode } from './progress.js';

/**
 * The longest --interval, in seconds: Node's timers hold at most 2^31-1 ms and turn anything
 * longer into 1 ms, which would make the client pull without pause.
 */
export const MAX_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export function checkInterval(seconds: number): void {
  if (!(seconds > 0)) throw new ZyncError('BAD_ARGUMENT', '--interval must be a positive number of seconds.');
  if (!(seconds <= MAX_INTERVAL_SECONDS)) {
    throw new ZyncError('BAD_ARGUMENT', `--interval must be at most ${MAX_INTERVAL_SECONDS} seconds (about 24 days), not ${seconds}.`);
  }
}

/**
 * --server and --dirs, which every run needs: checked here rather than with yargs' demandOption,
 * whose "Missing required arguments: server, dirs." says neither what they are nor how to give them.
 */
export function requireServerAndDirs(server: string | undefined, dirs: string[] | undefined): { server: string; dirs: string[] } {
  if (server === undefined && dirs === undefined) {
    throw new ZyncError('BAD_ARGUMENT', 'No daemon or directories given: pass --server and --dirs (for example --server ws://localhost:8000 --dirs docs:./docs).');
  }
  if (server === undefined) throw new ZyncError('BAD_ARGUMENT', "No daemon given: pass --server with its address (for example --server ws://localhost:8000, the SSH tunnel's end).");
  if (dirs === undefined) throw noDirsGiven();
  return { server, dirs };
}

/**
 * The token to present. The daemon always requires one (it generates one when given none), so
 * without a token the client could only be refused with a 401 that blames a token never given.
 * (An empty --token is refused by resolveToken.)
 */
export function requireToken(resolved: string | undefined): string {
  if (!resolved) throw new ZyncError('BAD_ARGUMENT', 'No token given: use --token, --token-file or ZYNC_TOKEN.');
  return resolved;
}

/**
 * How progress is shown (--progress, --no-progress, or neither). On a terminal: a status line,
 * unless the log level asks for quiet. Elsewhere (a log file, a journal, a pipe) only when asked
 * for, as info log lines: a redrawn line would fill a file with carriage returns.
 */
export function chooseProgressMode(option: boolean | undefined, stderrIsTerminal: boolean, level: LogLevel): ProgressMode {
  if (option === false) return 'off';
  if (stderrIsTerminal) return option === true || level === 'info' || level === 'debug' || level === 'trace' ? 'status-line' : 'off';
  return option === true ? 'log-lines' : 'off';
}
