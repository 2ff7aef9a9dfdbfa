// findLocalChanges on a real store and root: a directory R removed whole is read back from the
// store a page at a time, and the event loop gets a turn between pages. --update-upstream holds
// its connection open during the scan; a removed subtree of 300k received files took 3.5 s in one
// go, long enough for the daemon to drop a client whose pongs wait (heartbeat.ts: 4–6 s).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@zync/common';
import { afterAll, expect, it } from 'vitest';
import type { RecordedEntry } from '../core/types.js';
import { ClientStore } from '../store/client-store.js';
import { findLocalChanges } from './find-changes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-find-changes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (p: string, over: Partial<RecordedEntry> = {}): RecordedEntry => ({
  base_dir: 'docs',
  path: p,
  kind: 'file',
  checksum: 'a'.repeat(64),
  size: 2,
  mtime: 1_700_000_000_000,
  mode: 0o644,
  local_size: 2,
  local_mtime: 1_700_000_000_000,
  local_ino: 1,
  sequence: 1,
  seen_gen: 0,
  ...over,
});

it('lets the event loop run between the pages of a removed directory', async () => {
  const root = path.join(dir, 'root');
  mkdirSync(root);
  writeFileSync(path.join(root, 'kept.txt'), 'R\n'); // the root is not empty: not an unmounted disk
  const store = ClientStore.open(path.join(dir, 'sync_client.db'));
  try {
    const files = Array.from({ length: 35 }, (_, i) => entry(`big/f${i}.txt`));
    store.commitBatch({ upserts: [entry('big', { kind: 'dir', checksum: null, local_size: null, local_mtime: null, local_ino: null }), ...files], removals: [] });
    // Pages of 10, and for each: did a callback queued as it was handed out run before the next was asked for?
    const turns: boolean[] = [];
    const watched = Object.create(store) as ClientStore;
    watched.entryPagesBelow = function* (baseDir: string, below: string) {
      for (const page of store.entryPagesBelow(baseDir, below, 10)) {
        let turned = false;
        setImmediate(() => (turned = true));
        yield page;
        turns.push(turned);
      }
    };
    const found = await findLocalChanges(watched, [{ name: 'docs', root }], createLogger('test', 'silent'));
    expect(found.deleted.map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
    expect(found.dirs.removed.map((d) => d.path)).toEqual(['big']);
    // Before: [false, false, false, false], the whole subtree in one synchronous stretch.
    expect(turns).toEqual([true, true, true, true]);
  } finally {
    store.close();
  }
});
