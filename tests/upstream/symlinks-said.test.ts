// R's symbolic links are not sent upstream (README "zync-client"), but --update-upstream says so:
// before, an `npm install` on R staged its files and dropped node_modules/.bin without a word.
// One line per run with the count and a few examples; links the rules ignore are not counted.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { runUpstream } from './support.js';

describe('upstream: symbolic links', () => {
  it('are left out with one line that counts them and names a few', async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, '.zyncignore'), 'ignored-link\n');
    });
    try {
      await mkdir(path.join(r, 'node_modules/pkg/bin'), { recursive: true });
      await mkdir(path.join(r, 'node_modules/.bin'));
      await writeFile(path.join(r, 'node_modules/pkg/bin/tool'), '#!/bin/sh\n');
      for (const name of ['a', 'b', 'c', 'd']) await symlink('../pkg/bin/tool', path.join(r, 'node_modules/.bin', name));
      await symlink('node_modules', path.join(r, 'ignored-link'));
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stdout).toMatch(/Staged 5 changes upstream/); // 4 directories and the file
      const lines = staged.stderr.split('\n').filter((line) => line.includes('symbolic link'));
      expect(lines, staged.stderr).toHaveLength(1);
      // Three of the four, in the order the directory lists them.
      expect(lines[0]).toMatch(/4 symbolic links \((docs\/node_modules\/\.bin\/[a-d], ){3}…\) are not sent upstream: zync syncs regular files and directories only/);
    } finally {
      await daemon.stop();
    }
  });
});
