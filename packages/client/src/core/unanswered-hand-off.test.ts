import { describe, expect, it } from 'vitest';
import { processStateOf, unansweredNote } from './unanswered-hand-off.js';

describe('processStateOf', () => {
  it.each<[string, string, string | null]>([
    ['a sleeping node', '4242 (node) S 1 4242 4242 0 -1 4194560 ...', 'S'],
    ['a stopped one', '4242 (node) T 1 4242 4242 0 -1', 'T'],
    ['a command name holding ") R ("', '4242 (a) R (b) t 1 4242', 't'],
    ['no command name', 'garbage', null],
    ['nothing after it', '4242 (node)', null],
  ])('%s', (_, stat, expected) => {
    expect(processStateOf(stat)).toBe(expected);
  });
});

describe('unansweredNote', () => {
  it.each<[string, number | undefined, string | undefined, 'warn' | 'info', string]>([
    [
      'a stopped client (SIGSTOP, a suspended session): a warning saying how it runs again',
      4242,
      '4242 (node) T 1',
      'warn',
      'The running zync-client (pid 4242) has not answered in 5 s: it is stopped (state T in /proc/4242/stat: suspended, by SIGSTOP or Ctrl-Z say); the upload waits until it runs again (kill -CONT 4242), or Ctrl-C cancels it.',
    ],
    [
      'one stopped by a debugger',
      4242,
      '4242 (node) t 1',
      'warn',
      'The running zync-client (pid 4242) has not answered in 5 s: it is stopped by a debugger (state t in /proc/4242/stat); the upload waits until it runs again, or Ctrl-C cancels it.',
    ],
    [
      'one waiting on its disk',
      4242,
      '4242 (node) D 1',
      'info',
      'The running zync-client (pid 4242) has not answered in 5 s: it is waiting on a disk or a network file system (state D in /proc/4242/stat); still waiting, Ctrl-C cancels it.',
    ],
    ['one that runs: no reason known', 4242, '4242 (node) S 1', 'info', 'The running zync-client (pid 4242) has not answered in 5 s (busy or hung? see its log); still waiting, Ctrl-C cancels it.'],
    ['no /proc', 4242, undefined, 'info', 'The running zync-client (pid 4242) has not answered in 5 s (busy or hung? see its log); still waiting, Ctrl-C cancels it.'],
    ['no pid known', undefined, undefined, 'info', 'The running zync-client has not answered in 5 s (busy or hung? see its log); still waiting, Ctrl-C cancels it.'],
  ])('%s', (_, pid, stat, level, message) => {
    expect(unansweredNote(pid, stat, 5000)).toEqual({ level, message });
  });
});
