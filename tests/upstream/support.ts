// Helpers for the upstream end-to-end tests: running zync-client --update-upstream and zync-apply
// against a daemon's database, reading their JSON, and driving zync-apply through a real
// pseudo-terminal (util-linux `script`, so the prompt sees a TTY exactly as a person's shell).
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { BIN, REPO_ROOT, runCli, waitFor, type CliResult, type DaemonHandle } from '../helpers/index.js';
import { clientArgs, type ClientSetup } from '../client/support.js';

export function runUpstream(setup: ClientSetup, server?: string, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const args = clientArgs(setup, ['--update-upstream']);
  if (server) args[args.indexOf('--server') + 1] = server;
  return runCli('client', args, { timeoutMs: 110_000, ...(env ? { env } : {}) });
}

export function runApply(daemon: DaemonHandle, args: readonly string[]): Promise<CliResult> {
  return runCli('apply', ['--db', daemon.db, ...args]);
}

export interface SessionJson {
  staging_id: string;
  status: 'in_progress' | 'complete' | 'applied' | 'aborted' | 'discarded';
  file_count: number;
  conflict_count: number;
  created: string;
  /** Why a session was aborted. */
  reason: string | null;
}

export async function listSessions(daemon: DaemonHandle, all = true): Promise<SessionJson[]> {
  const result = await runApply(daemon, ['list', ...(all ? ['--all'] : []), '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as SessionJson[];
}

/** The staging id printed by --update-upstream. */
export function stagingIdFrom(stdout: string): string {
  const match = /upstream as session (\S+) \(/.exec(stdout);
  if (!match) throw new Error(`no staging id in: ${stdout}`);
  return match[1]!;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\r/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface PtyRun {
  /** Everything the program printed so far, ANSI escapes removed. */
  output(): string;
  /** Raw output, escapes included (to check colour). */
  raw(): string;
  /** Types into the terminal. */
  type(keys: string): void;
  /** Waits until the (stripped) output contains text after `from` characters. */
  waitForText(text: string, from?: number, timeoutMs?: number): Promise<number>;
  exited: Promise<number>;
  kill(): void;
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * Runs a built binary inside a pseudo-terminal (`script -qfec CMD /dev/null`), through `wrapper`
 * (setpriv, say) when given.
 */
export function runInPty(bin: keyof typeof BIN, args: readonly string[], options: { wrapper?: readonly string[] } = {}): PtyRun {
  const command = [...(options.wrapper ?? []), process.execPath, BIN[bin], ...args].map(quote).join(' ');
  // A person's terminal: colour detection must not see the CI runner's variables (chalk turns
  // colour off when CI is set) nor a colour override from the test runner.
  const { CI: _ci, FORCE_COLOR: _force, NO_COLOR: _no, ...env } = process.env;
  const proc = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...env, TERM: 'xterm-256color', COLUMNS: '160', LINES: '50', ZYNC_TOKEN: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (raw += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (raw += d));
  const exited = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
  return {
    output: () => stripAnsi(raw),
    raw: () => raw,
    type: (keys) => {
      proc.stdin.write(keys);
    },
    waitForText: async (text, from = 0, timeoutMs = 30_000) => {
      try {
        const at = await waitFor(
          () => {
            const index = stripAnsi(raw).indexOf(text, from);
            return index >= 0 ? index + 1 : 0;
          },
          { timeoutMs, what: `"${text}" in the terminal` },
        );
        return at - 1 + text.length;
      } catch (err) {
        throw new Error(`${(err as Error).message}; the terminal showed:\n${stripAnsi(raw)}`);
      }
    },
    exited,
    kill: () => proc.kill('SIGKILL'),
  };
}

export const KEY = { enter: '\r', ctrlC: '\u0003' } as const;
