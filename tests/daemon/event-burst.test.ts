// After a burst of file system events big enough to overflow the OS's event queue (Linux drops
// events past fs.inotify.max_queued_events, and nobody is told), the daemon rescans its roots
// once the burst is over, so a change whose event was lost reaches the log in seconds, not at
// the periodic rescan ten minutes later. A change that raises no event at all in the root stands
// in for a lost one: a write through a hard link from outside the root.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { checksumInLog } from './daemon-helpers.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const queueLimit = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim());
/** Files whose creation raises more events than the daemon's burst threshold (half the queue); each raises a create and a write. */
const burstFiles = Math.ceil(queueLimit / 2 / 2) + 1000;

describe('zync-daemon after a burst of events', () => {
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it.skipIf(burstFiles > 30_000)('rescans its roots once the burst is over: a change that raised no event is logged', async () => {
    const e = tempDir('zync-e-');
    const outside = tempDir('zync-outside-');
    await writeFile(path.join(outside, 'shared.txt'), 'version 1\n');
    await link(path.join(outside, 'shared.txt'), path.join(e, 'shared.txt'));
    daemon = await startDaemon({ dirs: { docs: e } });
    expect(await checksumInLog(daemon, 'shared.txt')).toBe(sha256('version 1\n'));

    // No event in E's tree: the write goes through the name outside it.
    await writeFile(path.join(outside, 'shared.txt'), 'version 2, longer\n');
    await mkdir(path.join(e, 'burst'));
    for (let i = 0; i < burstFiles; i++) await writeFile(path.join(e, 'burst', `f${i}.txt`), `${i}\n`);

    await waitFor(async () => (await checksumInLog(daemon!, 'shared.txt')) === sha256('version 2, longer\n'), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: 'the write through the outside link in the log',
    });
    expect(daemon.stderr()).toMatch(/a burst of \d+ file system events; rescanning the roots/);
  });
});
