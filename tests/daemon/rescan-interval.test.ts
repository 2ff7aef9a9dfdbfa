// --rescan-interval: minutes between whole-root rescans. A long one — a month, for a tree too big
// to walk often — means a rescan that rarely comes, never one that comes at once: Node fires a
// timer longer than 2^31-1 ms (~24.8 days) after 1 ms, which would rescan the roots without end,
// each rescan queued ahead of every event (the .zyncignore edit below was then never looked at).
// Each walk of the root logs its symlink at debug level, so the walks can be counted.
import { symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';

let daemon: DaemonHandle | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const walks = (d: DaemonHandle) => d.stderr().split('symlink skipped').length - 1;

describe('--rescan-interval', () => {
  it('of a month rescans only when something asks for it', async () => {
    const root = tempDir('zync-rescan-');
    writeFileSync(path.join(root, 'a.txt'), 'a\n');
    symlinkSync('a.txt', path.join(root, 'link'));
    const d = (daemon = await startDaemon({ dirs: { docs: root }, args: ['--log-level', 'debug', '--rescan-interval', String(31 * 24 * 60)] }));
    // An edited .zyncignore asks for one rescan: after it, the start-up scan and that one are all.
    writeFileSync(path.join(root, '.zyncignore'), '*.tmp\n');
    await waitFor(() => d.stderr().includes('.zyncignore changed; rescanning the root') && walks(d) >= 2, { what: 'the rescan the .zyncignore asked for' });
    expect(walks(d)).toBe(2);
    expect(d.stderr()).not.toContain('TimeoutOverflowWarning');
  });
});
