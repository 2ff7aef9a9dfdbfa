// GET_CHANGES `current_only` (what a resync asks for): each path's current entry only, the page
// still covering the whole range asked, and the answer saying the flag was honoured. Without the
// flag the daemon serves its history as before.
import { rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GetChangesResponse } from '@zync/common';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

describe('GET_CHANGES current_only', () => {
  let daemon: DaemonHandle | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    await client?.close();
    await daemon?.stop();
    client = daemon = undefined;
  });

  it("serves each path's current entry only, over the whole range, and says so", async () => {
    const root = tempDir('zync-e-');
    await writeFile(path.join(root, 'f.txt'), 'v1\n');
    await writeFile(path.join(root, 'gone.txt'), 'g\n');
    const d = (daemon = await startDaemon({ dirs: { w: root } }));
    const c = (client = await connect(d.url, d.token));
    await writeFile(path.join(root, 'f.txt'), 'v2\n');
    await waitFor(async () => (await fetchLog(c)).some((e) => e.path === 'f.txt' && e.size === 3 && e.operation === 'modify'));
    await rm(path.join(root, 'gone.txt'));
    await waitFor(async () => (await fetchLog(c)).some((e) => e.path === 'gone.txt' && e.operation === 'delete'));
    const history = await fetchLog(c);
    const page = GetChangesResponse.parse(await c.request('GET_CHANGES', { since_sequence: 0, limit: 5000, current_only: true }));
    expect(page.current_only).toBe(true);
    expect(page).toMatchObject({ from_sequence: 0, to_sequence: page.highest_sequence, more_available: false });
    expect(page.changes.map((e) => `${e.operation} ${e.path}`)).toEqual(['modify f.txt', 'delete gone.txt']);
    // Each the path's last in the history (a save may log more than one modify).
    const last = new Map(history.map((e) => [e.path, e.sequence]));
    expect(page.changes.map((e) => e.sequence)).toEqual([last.get('f.txt'), last.get('gone.txt')]);
    // Asked without it: the history, and no word of the flag.
    const plain = GetChangesResponse.parse(await c.request('GET_CHANGES', { since_sequence: 0, limit: 5000 }));
    expect(plain.current_only).toBeUndefined();
    expect(plain.changes).toEqual(history);
  });
});
