// The processes the benchmark starts: zync-daemon, zync-client and rsync. Every child is
// registered so that exit, an error or SIGINT ends it (by its own pid, never by name). Peak
// RSS comes from /proc: a sampler reads VmHWM/VmRSS every 20 ms, the zync binaries are started
// with a preload (rss-probe.cjs) that records VmHWM at exit, and a long-lived process's peak can
// be reset between workloads (clear_refs). Linux-only figures; elsewhere they print as n/a.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = {
  daemon: path.join(REPO_ROOT, 'packages/daemon/bin/zync-daemon.js'),
  client: path.join(REPO_ROOT, 'packages/client/bin/zync-client.js'),
};
const RSS_PROBE = fileURLToPath(new URL('./rss-probe.cjs', import.meta.url));
const STDERR_KEEP = 64 * 1024;

const children = new Set();

/** Spawns a child, keeps the tail of its output, registers it for cleanup. */
export function spawnChild(command, args, { env = {}, label = path.basename(command) } = {}) {
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ZYNC_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const keep = (acc, d) => {
    const next = acc + d;
    return next.length > STDERR_KEEP ? next.slice(-STDERR_KEEP) : next;
  };
  proc.stdout.setEncoding('utf8').on('data', (d) => (out = keep(out, d)));
  proc.stderr.setEncoding('utf8').on('data', (d) => (err = keep(err, d)));
  const child = {
    label,
    proc,
    pid: proc.pid,
    stdout: () => out,
    stderr: () => err,
    exited: new Promise((resolve) => {
      proc.on('error', (e) => {
        err = keep(err, `\nspawn error: ${e.message}`);
        resolve({ code: -1, signal: null });
      });
      proc.on('exit', (code, signal) => resolve({ code, signal }));
    }),
    alive: () => proc.exitCode === null && proc.signalCode === null,
  };
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

/** Stops a child: signal, wait up to graceMs, then SIGKILL. */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 5000) {
  if (!child.alive()) return child.exited;
  child.proc.kill(signal);
  const timer = setTimeout(() => child.alive() && child.proc.kill('SIGKILL'), graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

export async function stopAllChildren() {
  await Promise.all([...children].map((c) => stopChild(c, 'SIGTERM', 3000)));
}

/** Synchronous last resort (process 'exit'): SIGKILL whatever is still running. */
export function killAllChildrenNow() {
  for (const child of children) if (child.alive()) child.proc.kill('SIGKILL');
}

let extraNodeArgs = [];
/** Node options for every zync binary started from now on (e.g. --cpu-prof). */
export function setZyncNodeArgs(args) {
  extraNodeArgs = [...args];
}

/** Spawns a zync binary with the RSS probe; `rssFile` receives VmHWM (kB) at its exit. */
export function spawnZync(which, args, { rssFile, env = {} } = {}) {
  const nodeArgs = [...extraNodeArgs, '-r', RSS_PROBE, BIN[which], ...args];
  return spawnChild(process.execPath, nodeArgs, {
    env: { ...env, ...(rssFile ? { ZYNC_BENCH_RSS_FILE: rssFile } : {}) },
    label: `zync-${which}`,
  });
}

/**
 * Starts zync-daemon on 127.0.0.1 with --port 0 and waits for `listening on ws://HOST:PORT`.
 * Returns {child, port, url, startSeconds}.
 */
export async function startDaemon({ name, root, db, token, rssFile, timeoutMs = 600_000 }) {
  const started = performance.now();
  const child = spawnZync(
    'daemon',
    ['--host', '127.0.0.1', '--port', '0', '--db', db, '--dirs', `${name}:${root}`, '--token', token],
    { rssFile },
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on ws:\/\/[^\s:]+:(\d+)/.exec(child.stderr());
    if (match) {
      const port = Number(match[1]);
      return { child, port, url: `ws://127.0.0.1:${port}`, startSeconds: (performance.now() - started) / 1000 };
    }
    if (!child.alive()) throw new Error(`zync-daemon exited before listening:\n${tail(child.stderr())}`);
    if (Date.now() > deadline) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`zync-daemon did not start listening within ${timeoutMs / 1000} s:\n${tail(child.stderr())}`);
    }
    await sleep(10);
  }
}

/** zync-client arguments for one base dir. */
export function clientArgs({ url, db, name, root, token, once }) {
  return ['--server', url, '--db', db, '--dirs', `${name}:${root}`, '--token', token, ...(once ? ['--once'] : [])];
}

/**
 * Runs a child to completion with a deadline, sampling its peak RSS. Returns
 * {code, signal, seconds, peakKiB, stderr}. `peakKiB` is the larger of the sampler's last
 * VmHWM and the VmHWM the probe wrote at exit.
 */
export async function runTimed(spawnIt, { timeoutMs, rssFile } = {}) {
  const started = performance.now();
  const child = spawnIt();
  const sampler = sampleRss(child.pid);
  const timer = setTimeout(() => child.alive() && child.proc.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await child.exited;
  const seconds = (performance.now() - started) / 1000;
  clearTimeout(timer);
  sampler.stop();
  let peakKiB = sampler.peakKiB();
  if (rssFile) {
    const atExit = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
    if (Number.isFinite(atExit)) peakKiB = Math.max(peakKiB ?? 0, atExit);
    await rm(rssFile, { force: true });
  }
  return { code, signal, seconds, peakKiB, stderr: child.stderr(), stdout: child.stdout() };
}

function readStatusKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!hwm && !rss) return null;
    return { hwm: hwm ? Number(hwm[1]) : 0, rss: rss ? Number(rss[1]) : 0 };
  } catch {
    return null;
  }
}

/**
 * Samples a process's VmHWM/VmRSS every 20 ms. `reset()` clears the kernel's peak
 * (clear_refs 5) and the sampler's, so a long-lived process can be measured per workload.
 */
export function sampleRss(pid, intervalMs = 20) {
  let peak = null;
  const take = () => {
    const s = readStatusKiB(pid);
    if (s) peak = Math.max(peak ?? 0, s.hwm, s.rss);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    peakKiB() {
      take();
      return peak;
    },
    reset() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // Not permitted here: the peak then covers the process's whole life so far.
      }
      peak = null;
      take();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Runs `rsync -a src/ dst/`; returns the same shape as runTimed, or null when rsync is absent. */
export async function runRsync(src, dst, timeoutMs, extraArgs = []) {
  return runTimed(() => spawnChild('rsync', ['-a', ...extraArgs, `${src}/`, `${dst}/`], { label: 'rsync' }), { timeoutMs });
}

/** true when this rsync has --fsync (3.2.4+): fsync every written file, like zync does. */
export function rsyncHasFsync() {
  const r = spawnSync('rsync', ['--help'], { encoding: 'utf8' });
  return !r.error && /--fsync\b/.test(r.stdout ?? '');
}

export function rsyncVersion() {
  const r = spawnSync('rsync', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /rsync\s+version\s+(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/**
 * Seconds for `cp -a src/. dst` followed by one `sync -f dst`: a durable copy by native tools
 * with one barrier for everything: what "durability included" costs native tools on this disk
 * (zync fsyncs in batches, rsync --fsync per file). null when cp or sync -f fails (not GNU coreutils).
 */
export function timeDurableCopy(src, dst) {
  const started = performance.now();
  const cp = spawnSync('cp', ['-a', `${src}/.`, dst]);
  if (cp.status !== 0) return null;
  const sync = spawnSync('sync', ['-f', dst]);
  if (sync.status !== 0) return null;
  return (performance.now() - started) / 1000;
}

/** Flushes dirty pages so one measurement does not pay for the previous one's writeback. */
export function syncDisks() {
  spawnSync('sync');
}

export function tail(text, lines = 15) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
