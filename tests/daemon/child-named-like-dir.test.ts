// A directory whose child has the directory's own name (`d/d`): the OS reports a change to that
// child exactly as it reports the directory itself removed or moved away. Replacing the child
// (a file made a directory) must not be taken for the directory going, whose needless re-watch
// left a directory made in it at that moment (`d/sib`) without a watch: files written there
// were not logged until the next rescan, 10 minutes later. Found by the R->E stress run, where
// zync-apply replaced `sp ace/sp ace` and made `sp ace/ø` beside it. The race does not lose
// every time; a run of 15 such directories lost some of them before.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, waitFor } from '../helpers/index.js';
import { fetchLog, replayLog } from './daemon-helpers.js';

const gap = () => new Promise((resolve) => setTimeout(resolve, 3));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function logged(daemon: { url: string; token: string }): Promise<Record<string, unknown>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return replayLog(await fetchLog(client), 'w');
  } finally {
    await client.close();
  }
}

describe('a child named like its directory, replaced', () => {
  it('leaves a directory made beside it watched: files written there are logged', async () => {
    const root = tempDir();
    const aside = tempDir('zync-aside-');
    const daemon = await startDaemon({ dirs: { w: root } });
    try {
      const missed: string[] = [];
      for (let i = 0; i < 15; i++) {
        const dir = `d${i}`;
        mkdirSync(path.join(root, dir));
        writeFileSync(path.join(root, dir, dir), 'a file\n');
        await waitFor(async () => (await logged(daemon))[`${dir}/${dir}`], { what: `${dir}/${dir} logged` });
        // The steps a few milliseconds apart, as separate commands run them: the daemon hears of
        // the child's rename before the directories are made (not a wait for any state).
        renameSync(path.join(root, dir, dir), path.join(aside, dir));
        await gap();
        mkdirSync(path.join(root, dir, dir));
        await gap();
        mkdirSync(path.join(root, dir, 'sib'));
        await gap();
        writeFileSync(path.join(root, dir, dir, 'n'), 'n\n');
        await waitFor(async () => {
          const log = await logged(daemon);
          return log[`${dir}/sib`] && log[`${dir}/${dir}/n`];
        }, { what: `${dir}/sib and ${dir}/${dir}/n logged` });
        // Written a few times over, each once the last is logged: the re-watch came a moment later.
        for (let n = 0; n < 4; n++) {
          writeFileSync(path.join(root, dir, 'sib', 'z'), `z ${n}\n`);
          const seen = await waitFor(async () => {
            const entry = (await logged(daemon))[`${dir}/sib/z`] as { sha256?: string } | undefined;
            return entry?.sha256 === sha256(`z ${n}\n`);
          }, { timeoutMs: 3_000, what: `${dir}/sib/z logged` }).catch(() => null);
          if (!seen) {
            missed.push(`${dir}/sib/z (write ${n})`);
            break;
          }
        }
      }
      expect(missed).toEqual([]);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});
