// The process lock under a directory whose file system has no hard links (FAT, some FUSE and
// network file systems): link(2) fails there with EPERM onto a new name, but with EEXIST onto an
// existing one (Linux checks the name first), and the lock is created exclusively with its pid
// written after. It must still refuse a live second taker, wait for the pid of a lock
// being written rather than take it for torn, take over a lock whose owner is gone, and hold
// through the races of two takers (a lock moved aside before its pid landed, a live lock moved
// aside in place of a stale one); every other directory keeps the linked lock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

// A fresh module for each test: what one test taught it about the directory (no hard links) must
// not spare the next the first, linking attempt, which a process starting while a lock exists makes.
let acquireProcessLock: typeof import('./process-lock.js').acquireProcessLock;
let linkIntoPlace: typeof import('./atomic-write.js').linkIntoPlace;

const dir = mkdtempSync(path.join(tmpdir(), 'zync-lock-no-links-'));
const fat = path.join(dir, 'fat');
const ext = path.join(dir, 'ext');
mkdirSync(fat);
mkdirSync(ext);
const others: ChildProcess[] = [];
afterAll(() => {
  for (const child of others) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs once, with the lock's path, between the lock's exclusive create and the write of its pid. */
const beforePid = vi.hoisted(() => ({ hook: null as ((lockPath: string) => void) | null }));
/** Runs once, with the lock's path, before a stale lock there is renamed aside. */
const beforeClaim = vi.hoisted(() => ({ hook: null as ((lockPath: string) => void) | null }));
/** Runs once, with the lock's path, the first time a lock there is read without a pid. */
const onEmptyRead = vi.hoisted(() => ({ hook: null as ((lockPath: string) => void) | null }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const inFat = (p: fs.PathLike) => String(p).includes(`${path.sep}fat${path.sep}`);
  const linkSync = vi.fn((from: fs.PathLike, to: fs.PathLike) => {
    // As Linux does (seen on vfat): an existing name is refused before links are.
    if (inFat(to) && real.lstatSync(to, { throwIfNoEntry: false })) throw Object.assign(new Error('EEXIST: file already exists, link'), { code: 'EEXIST' });
    if (inFat(to)) throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    real.linkSync(from, to);
  });
  const opened = new Map<number, string>();
  const openSync = ((p: fs.PathLike, ...rest: Parameters<typeof real.openSync> extends [unknown, ...infer R] ? R : never) => {
    const fd = real.openSync(p, ...rest);
    if (inFat(p)) opened.set(fd, String(p));
    return fd;
  }) as typeof real.openSync;
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    const lockPath = opened.get(fd);
    const hook = beforePid.hook;
    if (lockPath !== undefined && hook) {
      beforePid.hook = null;
      hook(lockPath);
    }
    return (real.writeSync as (fd: number, ...args: unknown[]) => number)(fd, ...rest);
  }) as typeof real.writeSync;
  const renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    const hook = beforeClaim.hook;
    if (inFat(from) && hook) {
      beforeClaim.hook = null;
      hook(String(from));
    }
    real.renameSync(from, to);
  }) as typeof real.renameSync;
  const readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const content = (real.readFileSync as (p: fs.PathOrFileDescriptor, ...args: unknown[]) => string | Buffer)(p, ...rest);
    const hook = onEmptyRead.hook;
    if (typeof p === 'string' && inFat(p) && hook && String(content).trim() === '') {
      onEmptyRead.hook = null;
      hook(p);
    }
    return content;
  }) as typeof real.readFileSync;
  const fake = { linkSync, openSync, writeSync, renameSync, readFileSync };
  return { ...real, default: { ...real, ...fake }, ...fake };
});

beforeEach(async () => {
  vi.mocked(fs.linkSync).mockClear();
  vi.resetModules();
  ({ acquireProcessLock } = await import('./process-lock.js'));
  ({ linkIntoPlace } = await import('./atomic-write.js'));
});

const lockIn = (where: string) => path.join(where, `${Math.random().toString(16).slice(2)}.db.lock`);

/** A pid no process has now: a child that already exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('acquireProcessLock without hard links', () => {
  it('takes the lock, refuses a second taker naming the first, and is free again once released', () => {
    const lockPath = lockIn(fat);
    const lock = acquireProcessLock(lockPath, 'zync-client', 'the client state');
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => acquireProcessLock(lockPath, 'zync-client', 'the client state')).toThrow(
      expect.objectContaining({ code: 'IN_USE', message: expect.stringContaining(`Another zync-client (pid ${process.pid}) is using the client state`) }) as unknown as Error,
    );
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    expect(fs.readdirSync(fat).filter((name) => name.startsWith(path.basename(lockPath)))).toEqual([]);
    acquireProcessLock(lockPath, 'zync-client', 'the client state').release();
  });

  it('waits for the pid of a lock another process is still writing, and refuses that process', () => {
    const lockPath = lockIn(fat);
    // A zync process (its command line names zync) that has just made the lock, its pid not yet in:
    // this test writes for it, through the descriptor it made the lock with.
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'zync-client'], { stdio: 'ignore' });
    others.push(owner);
    const fd = fs.openSync(lockPath, 'wx');
    const made = fs.fstatSync(fd).ino;
    // Its pid lands right after the first look finds the lock empty.
    onEmptyRead.hook = () => fs.writeSync(fd, `${owner.pid}\n`);
    try {
      // Before: the empty lock was taken for torn at that first look (the link onto it fails with
      // EEXIST, so this process did not know yet that the directory has no hard links) and moved
      // aside; the pid then in it could not be linked back, so both processes held the lock.
      expect(() => acquireProcessLock(lockPath, 'zync-client', 'the client state')).toThrow(
        expect.objectContaining({ code: 'IN_USE', message: expect.stringContaining(`Another zync-client (pid ${owner.pid}) is using`) }) as unknown as Error,
      );
    } finally {
      fs.closeSync(fd);
    }
    expect(onEmptyRead.hook).toBeNull();
    // The owner's own file is the lock still: it was waited for, never moved aside.
    expect(fs.statSync(lockPath).ino).toBe(made);
    expect(readFileSync(lockPath, 'utf8')).toBe(`${owner.pid}\n`);
  });

  it.each([
    { name: 'its owner is gone (kill -9)', content: () => `${deadPid()}\n` },
    { name: 'it never got a pid (killed while writing it)', content: () => '' },
  ])('takes over a lock when $name', ({ content }) => {
    const lockPath = lockIn(fat);
    writeFileSync(lockPath, content());
    const lock = acquireProcessLock(lockPath, 'zync-client', 'the client state');
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('removes the lock it made when its pid cannot be written (a full stick)', () => {
    const lockPath = lockIn(fat);
    beforePid.hook = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    expect(() => acquireProcessLock(lockPath, 'zync-client', 'the client state')).toThrow(expect.objectContaining({ code: 'DISK_FULL' }) as unknown as Error);
    // Before: an empty lock stayed, and every later start waited 2 s on it before taking it over.
    expect(existsSync(lockPath)).toBe(false);
  });

  it('does not count a lock as its own that a taker of a torn lock moved aside before its pid landed', () => {
    const lockPath = lockIn(fat);
    const aside = `${lockPath}.stale-4242`;
    beforePid.hook = (p) => fs.renameSync(p, aside); // what claimStale of another process does
    const lock = acquireProcessLock(lockPath, 'zync-client', 'the client state');
    // Before: it believed it held a lock that was no longer there for a second taker to see.
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    rmSync(aside);
  });

  it("puts back a live owner's lock that took the stale one's place just before it was moved aside", () => {
    const lockPath = lockIn(fat);
    writeFileSync(lockPath, `${deadPid()}\n`);
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'zync-client'], { stdio: 'ignore' });
    others.push(live);
    // Another process claimed the stale lock and took it between this one's look and its move.
    beforeClaim.hook = (p) => {
      rmSync(p);
      writeFileSync(p, `${live.pid}\n`);
    };
    // Before: the lock could not be linked back (EPERM, swallowed), was removed, and this process
    // took it too.
    expect(() => acquireProcessLock(lockPath, 'zync-client', 'the client state')).toThrow(
      expect.objectContaining({ code: 'IN_USE', message: expect.stringContaining(`Another zync-client (pid ${live.pid}) is using`) }) as unknown as Error,
    );
    expect(readFileSync(lockPath, 'utf8')).toBe(`${live.pid}\n`);
  });

  it('creates the lock at once where a file put there already found no hard links, and the other way round', () => {
    const temp = path.join(fat, '.zync-tmp-seen.txt-000000000001');
    writeFileSync(temp, 'content');
    expect(linkIntoPlace(temp, path.join(fat, 'seen.txt'))).toBe(false);
    rmSync(temp);
    vi.mocked(fs.linkSync).mockClear();
    // Before: the lock kept its own memo of such directories and tried a link first.
    acquireProcessLock(lockIn(fat), 'zync-client', 'the client state').release();
    expect(vi.mocked(fs.linkSync)).not.toHaveBeenCalled();

    const fat2 = path.join(fat, 'fat2');
    mkdirSync(fat2);
    acquireProcessLock(lockIn(fat2), 'zync-client', 'the client state').release();
    vi.mocked(fs.linkSync).mockClear();
    expect(linkIntoPlace(path.join(fat2, '.zync-tmp-x'), path.join(fat2, 'never-tried.txt'))).toBe(false);
    expect(vi.mocked(fs.linkSync)).not.toHaveBeenCalled();
  });

  it('keeps linking the lock into place in every other directory', () => {
    acquireProcessLock(lockIn(fat), 'zync-client', 'the client state').release();
    vi.mocked(fs.linkSync).mockClear();
    const lockPath = lockIn(ext);
    acquireProcessLock(lockPath, 'zync-client', 'the client state').release();
    expect(vi.mocked(fs.linkSync)).toHaveBeenCalledWith(expect.stringContaining(path.basename(lockPath)), lockPath);
  });
});
