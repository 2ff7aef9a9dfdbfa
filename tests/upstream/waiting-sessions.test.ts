// Sessions staged and never applied wait on E for ever, and nothing used to say so: the daemon now
// says at start-up how many wait and since when, with the command that lists them; `zync-apply
// list` says how old each is and which R sent it, by the host name R's client gives with
// PREPARE_UPSTREAM (before: only `zync-client-<uuid>`, and only in `show`).
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/index.js';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

describe('sessions waiting for zync-apply', () => {
  it('are said at the daemon’s start, and listed with their age and the R that sent them', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.txt'), 'base\n');
    });
    await writeFile(path.join(r, 'a.txt'), 'R edit\n');
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);
    await daemon.stop();
    expect(daemon.stderr()).not.toContain('for zync-apply');

    const again = await startDaemon({ dirs: { docs: e }, db: daemon.db });
    try {
      const lines = again.stderr().split('\n').filter((line) => line.includes('for zync-apply'));
      expect(lines).toEqual([expect.stringMatching(/INFO.*1 upstream session waits for zync-apply, since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(just now\): zync-apply --db \S+ list shows it$/)]);
      expect(lines[0]).toContain(`--db ${again.db} list`);

      const list = await runApply(again, ['list']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.split('\n')[0]).toMatch(/\sFROM\s+CREATED$/);
      const row = list.stdout.split('\n').find((line) => line.startsWith(id));
      expect(row).toMatch(new RegExp(`\\s${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(just now\\)$`));
      const json = JSON.parse((await runApply(again, ['list', '--json'])).stdout) as { staging_id: string; host_name: string | null; client_id: string }[];
      expect(json.find((s) => s.staging_id === id)).toMatchObject({ host_name: hostname(), client_id: expect.stringMatching(/^zync-client-/) });
      const show = await runApply(again, ['show', id]);
      expect(show.stdout.split('\n')[0]).toContain(`from ${hostname()} (zync-client-`);
      expect(show.stdout.split('\n')[0]).toContain('(just now)');

      // Applied, it no longer waits: the next start says nothing.
      expect((await runApply(again, ['apply', id, '--non-interactive'])).code).toBe(0);
    } finally {
      await again.stop();
    }
    const third = await startDaemon({ dirs: { docs: e }, db: daemon.db });
    await third.stop();
    expect(third.stderr()).not.toContain('for zync-apply');
  });
});
