// --update-upstream on a tree of 50,000 received files, with a handful of edits on R, in a V8 heap
// too small to hold the tree: the scan must keep one directory at a time and what changed, not
// every file R holds and every entry R received (that took about 0.7 KiB per file, and ran out
// of memory here). A directory R removed whole still goes upstream, file by file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

const DIRS = 500;
const PER_DIR = 100;
/** Enough for the client itself and one directory; the whole tree needs several times more. */
const HEAP_MIB = 24;

describe('--update-upstream on a big tree', () => {
  it(`sends ${DIRS * PER_DIR} files' edits in a ${HEAP_MIB} MiB heap`, async () => {
    const { r, daemon, setup } = await syncedPair(async (e) => {
      for (let d = 0; d < DIRS; d++) {
        mkdirSync(path.join(e, `d${d}`));
        for (let f = 0; f < PER_DIR; f++) writeFileSync(path.join(e, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
      }
    });
    try {
      await writeFile(path.join(r, 'd10/f1.txt'), 'edited on R\n');
      await writeFile(path.join(r, 'd10/new.txt'), 'new on R\n');
      await rm(path.join(r, 'd20/f2.txt'));
      await rm(path.join(r, 'd30'), { recursive: true });
      await mkdir(path.join(r, 'fresh'));
      await writeFile(path.join(r, 'fresh/a.txt'), 'in a new directory\n');

      const result = await runUpstream(setup, undefined, { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` });
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
      expect(result.stdout).toContain(
        `Staged ${PER_DIR + 6} changes upstream as session ${stagingIdFrom(result.stdout)} ` +
          `(2 added, 1 modified, ${PER_DIR + 1} deleted, 1 directory created, 1 directory removed; 0 conflicts).`,
      );
      const [session] = await listSessions(daemon);
      expect(session?.file_count).toBe(PER_DIR + 6);
      const shown = await runApply(daemon, ['show', session!.staging_id, '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const entries = (JSON.parse(shown.stdout) as { entries: { path: string; kind: string; operation: string }[] }).entries;
      expect(entries.map((x) => `${x.path} ${x.kind} ${x.operation}`).sort()).toEqual(
        [
          'd10/f1.txt file modify',
          'd10/new.txt file add',
          'd20/f2.txt file delete',
          'd30 dir delete',
          ...Array.from({ length: PER_DIR }, (_, f) => `d30/f${f}.txt file delete`),
          'fresh dir add',
          'fresh/a.txt file add',
        ].sort(),
      );
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});
