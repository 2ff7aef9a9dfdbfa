// R's session must not plant a set-user-ID or set-group-ID program on E: zync-apply runs as E's
// user (often root), so a file R sent with mode 4755 would become a root-owned setuid binary
// after an ordinary review, where `show` says nothing but "ok". A chmod on R travels as its
// permission bits (rwx for owner, group, others); the setuid, setgid and sticky bits of R's
// files do not. E's own setuid file keeps its bits when R made no chmod and left its content;
// R's new content in it drops them (as the kernel does when anyone but root writes into one):
// otherwise R could plant its program in E's setuid file with a plain edit.
import { chmod, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncedPair } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from './support.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o7777;

describe("upstream: the setuid and setgid bits of R's files", () => {
  it('never reach E; the rest of the chmod does, and E’s own setuid file loses its bits only to R’s content', async () => {
    const { e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'a.sh'), '#!/bin/sh\n', { mode: 0o644 });
      await writeFile(path.join(e, 'own.sh'), '#!/bin/sh\n');
      await chmod(path.join(e, 'own.sh'), 0o4755);
    });
    try {
      await writeFile(path.join(r, 'new.sh'), '#!/bin/sh\nid\n');
      await chmod(path.join(r, 'new.sh'), 0o6755);
      await chmod(path.join(r, 'a.sh'), 0o4755);
      await writeFile(path.join(r, 'own.sh'), '#!/bin/sh\necho R\n'); // content only: R made no chmod
      await chmod(path.join(r, 'own.sh'), 0o4755); // as received
      const staged = await runUpstream(setup);
      expect(staged.code, staged.stderr).toBe(0);
      const id = stagingIdFrom(staged.stdout);

      const shown = await runApply(daemon, ['show', id]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/new\.sh\s+add\s+\d+ B\s+ok: E unchanged since R's base$/m);
      expect(shown.stdout).toMatch(/a\.sh\s+modify\s+\d+ B\s+ok: same content, permissions 644 -> 755$/m);
      expect(shown.stdout).toMatch(/own\.sh\s+modify\s+\d+ B\s+ok: E unchanged since R's base; E's set-ID bits are dropped \(R's content replaces E's\)$/m);
      const applied = await runApply(daemon, ['apply', id, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await modeOf(path.join(e, 'new.sh'))).toBe(0o755);
      expect(await modeOf(path.join(e, 'a.sh'))).toBe(0o755);
      expect(await modeOf(path.join(e, 'own.sh'))).toBe(0o755);
    } finally {
      await daemon.stop();
    }
  });
});
