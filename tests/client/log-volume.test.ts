// A file appended to many times a second (an application log on E) makes one logged change and
// one pass per write. Before, each gave an info line on each side ("logged 1 change(s)", "pull: 1
// file(s) downloaded"), and journald flooded. Now the first is said, the rest go to debug and are
// summed into one info line per 10 s (said at the latest when the program stops).
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../helpers/index.js';
import { spawnClient, syncedPair } from './support.js';

const count = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line)).length;

describe('a file appended to many times a second', () => {
  it('gives a few info lines on each side, with the totals, not one per change', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'app.log'), 'start\n');
    });
    const client = spawnClient(setup, ['--interval', '600']);
    try {
      await waitFor(() => /pull: /.test(client.stderr()), { what: "the client's first pass" });
      const writes = 30;
      for (let i = 1; i <= writes; i++) {
        await appendFile(path.join(e, 'app.log'), `line ${i}\n`);
        await delay(100); // the writer's pace (not a wait for a condition): past the daemon's settle time
      }
      const whole = await readFile(path.join(e, 'app.log'), 'utf8');
      await waitFor(async () => (await readFile(path.join(r, 'app.log'), 'utf8').catch(() => '')) === whole, { timeoutMs: 30_000, what: "R's app.log to catch up" });
    } finally {
      await client.stop();
      await daemon.stop();
    }
    const logged = count(daemon.stderr(), /INFO.*logged \d+ change\(s\)/);
    expect(logged, daemon.stderr()).toBeLessThanOrEqual(4);
    expect(daemon.stderr()).toMatch(/INFO.*logged \d+ change\(s\) in \d+ batch\(es\) since the last such line, sequences \d+\.\.\d+/);
    const pulls = count(client.stderr(), /INFO.*pull.*: \d+ file\(s\) downloaded/);
    expect(pulls, client.stderr()).toBeLessThanOrEqual(4);
    expect(client.stderr()).toMatch(/INFO.*pull \(\d+ passes since the last pull line\): \d+ file\(s\) downloaded/);
  });
});
