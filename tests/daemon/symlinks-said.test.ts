// Symbolic links are not synced (README "zync-daemon"), but they are said: npm's
// node_modules/.bin links used to vanish without a word, and R's .bin stayed empty. One info line
// per root with the count and a few examples at the start-up scan; nothing again at a rescan that
// finds the same number; one line for links made while the daemon runs. Ignored links are not counted.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';

let daemon: DaemonHandle | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const linkLines = (d: DaemonHandle) => d.stderr().split('\n').filter((line) => line.includes('not synced in "docs": zync syncs regular files and directories only'));
/** Whole-root walks so far: each logs each of the five links at debug level. */
const walks = (d: DaemonHandle) => (d.stderr().split('symlink skipped').length - 1) / 5;

describe('zync-daemon and symbolic links', () => {
  it('says how many links a scan left out, once, and a new link when it is made', async () => {
    const root = tempDir('zync-links-');
    mkdirSync(path.join(root, 'node_modules/pkg/bin'), { recursive: true });
    mkdirSync(path.join(root, 'node_modules/.bin'));
    writeFileSync(path.join(root, 'node_modules/pkg/bin/tool'), '#!/bin/sh\n');
    for (const name of ['a', 'b', 'c', 'd']) symlinkSync('../pkg/bin/tool', path.join(root, 'node_modules/.bin', name));
    writeFileSync(path.join(root, '.zyncignore'), 'ignored-link\n');
    symlinkSync('node_modules', path.join(root, 'ignored-link'));
    const d = (daemon = await startDaemon({ dirs: { docs: root }, args: ['--log-level', 'debug', '--rescan-interval', '0.01'] }));

    expect(linkLines(d)).toHaveLength(1);
    // Three of the four, in the order the directory lists them.
    expect(linkLines(d)[0]).toMatch(/INFO.*4 symbolic links \((node_modules\/\.bin\/[a-d], ){3}…\) are not synced in "docs"/);
    // Rescans of the unchanged tree say nothing again.
    await waitFor(() => walks(d) >= 3, { what: 'two rescans' });
    expect(linkLines(d)).toHaveLength(1);

    symlinkSync('../pkg/bin/tool', path.join(root, 'node_modules/.bin/e'));
    await waitFor(() => linkLines(d).some((line) => line.includes('1 symbolic link (node_modules/.bin/e) is not synced in "docs"')), { what: 'the line about the new link' });
    expect(linkLines(d).join('\n')).not.toContain('ignored-link');
  });
});
