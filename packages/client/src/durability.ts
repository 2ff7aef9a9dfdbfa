// Durable writes of batches of small files: each is written to a temp file beside its target
// without an fsync of its own (write-temp-file.ts), then the batch is made durable at once
// (makeDurable) before any of them is renamed into place. fsync per file serialises one
// journal commit per file (2.6 s for 10,000 files here); one syncfs(2) per file system makes a
// whole batch durable at once (0.9 s), and it runs beside the next batch's work because another
// process does it (coreutils `sync -f`, run by a long-lived shell). Small batches, and systems
// without `sync -f`, fsync each file or directory instead. Both are complete barriers: when the
// promise resolves, the data and metadata given (with syncfs, everything else on those file
// systems too) are on disk. The file systems flushed are those of the directories holding the
// paths, not of the roots: a disk mounted inside a root is flushed too.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { fromFsError } from '@zync/common';
import { runPool } from './bounded-pool.js';

/** Below this many files (or directories) one fsync each is cheaper than a syncfs. */
export const SYNCFS_MIN_ITEMS = 32;

/**
 * A shell that runs `sync -f` on request, one exit status per line. Forking this process (a
 * hundred MiB or more) for every barrier costs ~20 ms of CPU each time; the shell forks only the
 * small `sync`. It holds the event loop open only while a request is pending, and ends when
 * this process closes its stdin (on exit, even kill -9).
 */
class SyncfsRunner {
  private proc: ChildProcessByStdio<Socket, Socket, null> | null = null;
  private readonly waiting: ((status: number) => void)[] = [];
  private pending = '';

  /** The exit status of `sync -f path`, or -1 when it could not be run. */
  run(path: string): Promise<number> {
    const proc = this.proc ?? this.start();
    if (proc === null) return Promise.resolve(-1);
    return new Promise((resolve) => {
      if (this.waiting.push(resolve) === 1) proc.stdout.ref();
      proc.stdin.write(`${path}\n`);
    });
  }

  private start(): ChildProcessByStdio<Socket, Socket, null> | null {
    let proc: ChildProcessByStdio<Socket, Socket, null>;
    try {
      // The pipes of a child process are sockets (ref/unref), which the typings do not say.
      proc = spawn('sh', ['-c', 'while IFS= read -r p; do sync -f -- "$p" 2>/dev/null; echo $?; done'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      }) as ChildProcessByStdio<Socket, Socket, null>;
    } catch {
      return null;
    }
    proc.unref();
    proc.stdout.unref();
    proc.stdin.unref();
    proc.stdin.on('error', () => undefined);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (text: string) => {
      this.pending += text;
      let newline;
      while ((newline = this.pending.indexOf('\n')) >= 0) {
        const status = Number(this.pending.slice(0, newline));
        this.pending = this.pending.slice(newline + 1);
        this.waiting.shift()?.(Number.isInteger(status) ? status : -1);
      }
      if (this.waiting.length === 0) proc.stdout.unref();
    });
    const fail = () => {
      this.proc = null;
      for (const resolve of this.waiting.splice(0)) resolve(-1);
    };
    proc.on('error', fail);
    proc.on('exit', fail);
    this.proc = proc;
    return proc;
  }
}

const syncfsRunner = new SyncfsRunner();
let syncfsWorks: boolean | null = null;

/** One syncfs(2) of the file system holding path; false when `sync -f` is not available. */
async function syncFileSystem(path: string): Promise<boolean> {
  // The shell reads one path per line; such a path is flushed with fsync instead.
  if (syncfsWorks === false || path.includes('\n')) return false;
  const status = await syncfsRunner.run(path);
  if (status === 0) {
    syncfsWorks = true;
    return true;
  }
  if (syncfsWorks === null || status === -1) {
    // Never worked here (no `sync -f`, e.g. macOS), or the helper is gone: fsync instead.
    syncfsWorks = false;
    return false;
  }
  // Removed since it was chosen (by R's user): the caller flushes each path instead.
  if (!existsSync(path)) return false;
  // It works on this system, so a failure is the file system's (EIO from write-back).
  throw fromFsError(Object.assign(new Error(`sync -f ${path} failed (status ${status})`), { code: 'EIO' }), `flushing ${path}`);
}

/**
 * fsync of one file or directory by path (ENOENT, or ENOTDIR when a directory above it became a
 * file — E replaced a tree the batch emptied: nothing left to make durable).
 */
async function fsyncIfPresent(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw fromFsError(err, `flushing ${path}`);
  }
  try {
    await handle.sync();
  } catch (err) {
    throw fromFsError(err, `flushing ${path}`);
  } finally {
    await handle.close();
  }
}

/**
 * One directory for each file system among `dirs` (by device number), to syncfs each once.
 * A directory whose device is unknown (gone) is left out: nothing there is left to flush.
 */
export function onePerFileSystem(dirs: Iterable<string>, deviceOf: (dir: string) => number | null): string[] {
  const byDevice = new Map<number, string>();
  for (const dir of new Set(dirs)) {
    const device = deviceOf(dir);
    if (device !== null && !byDevice.has(device)) byDevice.set(device, dir);
  }
  return [...byDevice.values()];
}

/** The directory's device; null when it is gone (nothing left to flush there); throws otherwise. */
function deviceOf(dir: string): number | null {
  try {
    return statSync(dir).dev;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * Makes `paths` (files or directories) durable: when there are many, one syncfs per file system
 * among `holders` — the directories the paths are in, or the directories themselves — else an
 * fsync each.
 */
export async function makeDurable(paths: readonly string[], holders: Iterable<string>): Promise<void> {
  if (paths.length === 0) return;
  let fileSystems: string[] = [];
  try {
    if (paths.length >= SYNCFS_MIN_ITEMS) fileSystems = onePerFileSystem(holders, deviceOf);
  } catch {
    // A directory whose file system cannot be told: its files might be missed by a syncfs.
  }
  if (fileSystems.length > 0) {
    let all = true;
    for (const fsRoot of fileSystems) if (!(await syncFileSystem(fsRoot))) all = false;
    if (all) return;
  }
  let failure: unknown = null;
  await runPool(paths, 16, (path) => fsyncIfPresent(path).catch((err: unknown) => void (failure ??= err)));
  if (failure !== null) throw failure;
}
