// What a one-shot says when the running client it handed its upload to has said nothing for a
// while: a client answers at once when it runs, so silence means it does not (a suspended laptop
// session, SIGSTOP, a hang). Why, where the running client's /proc/PID/stat tells: a stopped
// process answers nothing until it is resumed. Said once; the one-shot keeps waiting. Pure: the
// stat line comes in as data.

export interface UnansweredNote {
  /** warn where the stat line shows it cannot answer; info otherwise (it may only be slow). */
  level: 'warn' | 'info';
  message: string;
}

/** The state letter of a /proc/PID/stat line (after the command name, which may hold ')'). */
export function processStateOf(stat: string): string | null {
  const end = stat.lastIndexOf(')');
  const state = end === -1 ? undefined : stat.slice(end + 1).trimStart()[0];
  return state === undefined || !/^[A-Za-z]$/.test(state) ? null : state;
}

/**
 * The sentence for a running client (`pid`, undefined if not known) silent for `waitedMs` since
 * the hand-off; `stat` is its /proc/PID/stat line, undefined where it cannot be read.
 */
export function unansweredNote(pid: number | undefined, stat: string | undefined, waitedMs: number): UnansweredNote {
  const who = `The running zync-client${pid === undefined ? '' : ` (pid ${pid})`} has not answered in ${waitedMs / 1000} s`;
  const state = stat === undefined ? null : processStateOf(stat);
  const where = `state ${state} in /proc/${pid}/stat`;
  switch (state) {
    case 'T':
      return {
        level: 'warn',
        message: `${who}: it is stopped (${where}: suspended, by SIGSTOP or Ctrl-Z say); the upload waits until it runs again (kill -CONT ${pid}), or Ctrl-C cancels it.`,
      };
    case 't':
      return { level: 'warn', message: `${who}: it is stopped by a debugger (${where}); the upload waits until it runs again, or Ctrl-C cancels it.` };
    case 'D':
      return { level: 'info', message: `${who}: it is waiting on a disk or a network file system (${where}); still waiting, Ctrl-C cancels it.` };
    default:
      return { level: 'info', message: `${who} (busy or hung? see its log); still waiting, Ctrl-C cancels it.` };
  }
}
