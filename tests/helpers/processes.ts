// Spawning the built binaries exactly as a user would run them (node + the package's bin file),
// capturing their output, and stopping them. Every process started here is killed after the
// test file, so a failing test never leaves a daemon behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { tempDir } from './files.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const BIN = {
  daemon: path.join(REPO_ROOT, 'packages/daemon/bin/zync-daemon.js'),
  client: path.join(REPO_ROOT, 'packages/client/bin/zync-client.js'),
  apply: path.join(REPO_ROOT, 'packages/apply/bin/zync-apply.js'),
} as const;
export type BinName = keyof typeof BIN;

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
});

export interface SpawnedCli {
  proc: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  kill9(): Promise<number | string>;
}

export function spawnCli(
  bin: BinName,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; wrapper?: readonly string[] } = {},
): SpawnedCli {
  // A wrapper (setpriv, say) execs node in its place: same pid, same signals.
  const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, BIN[bin], ...args];
  const proc = spawn(command!, commandArgs, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ZYNC_TOKEN: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      resolve(code ?? signal ?? -1);
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return {
    proc,
    pid: proc.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop,
    kill9: () => stop('SIGKILL'),
  };
}

export interface CliResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion (stdin closed unless `input` is given). */
export async function runCli(
  bin: BinName,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; wrapper?: readonly string[] } = {},
): Promise<CliResult> {
  const child = spawnCli(bin, args, options);
  child.proc.stdin!.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

export interface DaemonHandle extends SpawnedCli {
  url: string;
  port: number;
  token: string;
  db: string;
  stateDir: string;
  args: string[];
}

/**
 * Starts zync-daemon on 127.0.0.1 with an OS-chosen port and waits until it logs that it is
 * listening (which it does only after its start-up scan). `dirs` maps base_dir names to roots.
 */
export async function startDaemon(options: {
  dirs: Record<string, string>;
  db?: string;
  token?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  port?: number;
  timeoutMs?: number;
  /** A command that runs the daemon (see spawnCli). */
  wrapper?: readonly string[];
}): Promise<DaemonHandle> {
  const stateDir = options.db ? path.dirname(options.db) : tempDir('zync-state-');
  const db = options.db ?? path.join(stateDir, 'sync.db');
  const token = options.token ?? 'test-token-0123456789';
  const args = [
    '--host', '127.0.0.1',
    '--port', String(options.port ?? 0),
    '--db', db,
    '--token', token,
    '--dirs', ...Object.entries(options.dirs).map(([name, root]) => `${name}:${root}`),
    ...(options.args ?? []),
  ];
  const child = spawnCli('daemon', args, { env: options.env ?? {}, wrapper: options.wrapper });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let port: number | undefined;
  let scheme = 'ws';
  while (port === undefined) {
    // ws:// normally, wss:// when the daemon was given --tls-cert/--tls-key.
    const match = /listening on (wss?):\/\/127\.0\.0\.1:(\d+)/.exec(child.stderr());
    if (match) {
      scheme = match[1]!;
      port = Number(match[2]);
    } else if (child.proc.exitCode !== null) {
      throw new Error(`zync-daemon exited with ${child.proc.exitCode} before listening:\n${child.stderr()}`);
    } else if (Date.now() > deadline) {
      child.proc.kill('SIGKILL');
      throw new Error(`zync-daemon did not start listening in time:\n${child.stderr()}`);
    } else await new Promise((r) => setTimeout(r, 20));
  }
  return { ...child, url: `${scheme}://127.0.0.1:${port}`, port, token, db, stateDir, args };
}

/** Peak resident set size (VmHWM) of a live process, in bytes; Linux only. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(match[1]) * 1024;
}
