// The lock that keeps a second zync process off the same state: a live owner refuses the
// second taker with IN_USE and its pid; released, stale (owner gone) or torn locks are taken.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireProcessLock } from './process-lock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-lock-'));
const others: ChildProcess[] = [];
afterAll(() => {
  for (const child of others) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A pid no process has now: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('acquireProcessLock', () => {
  it('refuses a second holder with the owner’s pid, and is free again once released', () => {
    const lockPath = path.join(dir, 'a.db.lock');
    const lock = acquireProcessLock(lockPath, 'zync-daemon', 'the database a.db');
    expect(readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    expect(() => acquireProcessLock(lockPath, 'zync-daemon', 'the database a.db')).toThrow(
      expect.objectContaining({ code: 'IN_USE', message: expect.stringContaining(`Another zync-daemon (pid ${process.pid}) is using the database a.db`) }) as unknown as Error,
    );
    lock.release();
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    acquireProcessLock(lockPath, 'zync-daemon', 'the database a.db').release();
  });

  it.each([
    { name: 'its owner is gone (kill -9)', content: () => `${deadPid()}\n` },
    { name: 'it is torn (no pid)', content: () => '' },
    { name: 'its pid now belongs to another program', content: () => `${(others[0] = spawn('sleep', ['30'])).pid}\n` },
    { name: 'it names our own pid but we do not hold it (a restarted container)', content: () => `${process.pid}\n` },
  ])('takes over a lock when $name', ({ content }) => {
    const lockPath = path.join(dir, `stale-${Math.random().toString(16).slice(2)}.lock`);
    writeFileSync(lockPath, content());
    const lock = acquireProcessLock(lockPath, 'zync-client', 'the client state');
    expect(readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  /** A live process whose command line is `argv0 ...` (bash's exec -a), as a lock's owner. */
  const ownerNamed = (argv0: string): number => {
    const child = spawn('bash', ['-c', `exec -a ${argv0} sleep 30`]);
    others.push(child);
    return child.pid!;
  };

  it.each([
    ['another zync program: named as what it is', '/opt/zync/packages/client/bin/zync-client.js', 'A zync-client'],
    ['a zync process whose program is not clear', 'zync-something', 'Another zync process'],
  ])('a live owner that is %s; no advice to remove the lock', async (_name, argv0, who) => {
    const pid = ownerNamed(argv0);
    // exec -a takes effect once bash has exec'ed: wait for the command line to show it.
    for (let i = 0; i < 200 && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(argv0); i++) await new Promise((r) => setTimeout(r, 10));
    const lockPath = path.join(dir, `live-${pid}.lock`);
    writeFileSync(lockPath, `${pid}\n`);
    expect(() => acquireProcessLock(lockPath, 'zync-daemon', 'the database a.db')).toThrow(`${who} (pid ${pid}) is using the database a.db; stop it first.`);
  });
});
