// A rewrite that keeps a file's size, inode and mtime (cp -p over it, touch -r, rsync --inplace
// -t) is still logged: the daemon compares the change time too, which no program can set back.
// Both paths are shown: the watcher while running, and the start-up scan after a stop.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { checksumInLog } from './daemon-helpers.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes text over file in place (same inode) and puts its old timestamps back, to the nanosecond. */
async function rewriteKeepingTimes(file: string, text: string): Promise<void> {
  const before = await stat(file);
  const times = path.join(tempDir('zync-times-'), 'reference');
  await writeFile(times, '');
  execFileSync('touch', ['-r', file, times]);
  await writeFile(file, text);
  execFileSync('touch', ['-r', times, file]);
  const after = await stat(file);
  expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
}

describe('zync-daemon and rewrites that keep size, inode and mtime', () => {
  let e: string;
  let db: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    db = path.join(tempDir('zync-state-'), 'sync.db');
    await writeFile(path.join(e, 'config.ini'), 'mode=aaaa\n');
    daemon = await startDaemon({ dirs: { docs: e }, db });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('the watcher logs the new content', async () => {
    expect(await checksumInLog(daemon, 'config.ini')).toBe(sha256('mode=aaaa\n'));
    await rewriteKeepingTimes(path.join(e, 'config.ini'), 'mode=bbbb\n');
    await waitFor(async () => (await checksumInLog(daemon, 'config.ini')) === sha256('mode=bbbb\n'), {
      timeoutMs: 10_000,
      what: 'the rewrite in the log',
    });
  });

  it('the start-up scan logs a rewrite made while the daemon was stopped', async () => {
    expect(await daemon.stop('SIGTERM')).toBe(0);
    await rewriteKeepingTimes(path.join(e, 'config.ini'), 'mode=cccc\n');
    daemon = await startDaemon({ dirs: { docs: e }, db });
    expect(await checksumInLog(daemon, 'config.ini')).toBe(sha256('mode=cccc\n'));
  });
});
