// R edits files that E has started to ignore (a pattern E added to its .zyncignore after R's last
// pull, so R's copy of the rules still lets them through) and runs --update-upstream without
// pulling first. E refuses those entries; they are left out of the session, R keeps them as they
// are, R's other edits are staged, and one line names them and says to pull E's rules (exit 11).
// Once R has pulled, they are no longer sent. When they are all R changed, no empty session is
// staged. (Before: E's refusal failed the whole run, and none of R's other edits reached E.)
// E refuses such a file as soon as it is announced, so a large one is not uploaded first.
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/index.js';
import { startProxy } from '../helpers/tcp-proxy.mjs';
import { runClientOnce, syncedPair, type SyncedPair } from '../client/support.js';
import { listSessions, runApply, runUpstream, stagingIdFrom } from './support.js';

describe('upstream: files E ignores since R last pulled', () => {
  let pair: SyncedPair;
  const onR = (p: string) => path.join(pair.r, p);

  beforeAll(async () => {
    pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'notes.log'), 'E log v1\n');
      await writeFile(path.join(e, 'old.log'), 'old log\n');
      await writeFile(path.join(e, 'keep.txt'), 'keep v1\n');
    });
    await writeFile(path.join(pair.e, '.zyncignore'), '*.log\n');
    await waitFor(() => pair.daemon.stderr().includes('.zyncignore changed; rescanning the root'), { what: 'the daemon to reload its rules' });
  });
  afterAll(async () => {
    await pair?.daemon.stop();
  });

  it('stages no empty session when every change R made is ignored on E', async () => {
    await writeFile(onR('notes.log'), 'R log v2\n');
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(
      "zync-client: left out: docs/notes.log is ignored on E (its .zyncignore); R keeps it as it is — run zync-client to get E's rules before the next --update-upstream.\n",
    );
    expect(result.stdout).toMatch(/^Nothing staged upstream: every change was left out\.$/m);
    expect(await listSessions(pair.daemon, false)).toEqual([]);
    // The session opened for it is aborted on E once R closes, never finalized.
    await waitFor(async () => {
      const all = await listSessions(pair.daemon);
      return all.length === 1 && all[0]!.status === 'aborted';
    }, { what: 'the unfinalized session to be aborted' });
    expect(await readFile(onR('notes.log'), 'utf8')).toBe('R log v2\n');
  });

  it("stages R's other edits and leaves the ignored ones out, saying so with exit code 11", async () => {
    await writeFile(onR('keep.txt'), 'keep v2, edited on R\n');
    await writeFile(onR('new.txt'), 'new on R\n');
    await rm(onR('old.log'));
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toBe(
      "zync-client: left out: docs/notes.log, docs/old.log are ignored on E (its .zyncignore); R keeps them as they are — run zync-client to get E's rules before the next --update-upstream.\n",
    );
    expect(result.stdout).toMatch(/^Staged 2 changes upstream as session \S+ \(1 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);
    const stagingId = stagingIdFrom(result.stdout);
    expect((await listSessions(pair.daemon, false)).map((s) => [s.staging_id, s.status, s.file_count])).toEqual([[stagingId, 'complete', 2]]);
    const shown = await runApply(pair.daemon, ['show', stagingId, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as { entries: { path: string }[] }).entries.map((e) => e.path).sort()).toEqual(['keep.txt', 'new.txt']);
    // R's own edits to the ignored files stay as R made them.
    expect(await readFile(onR('notes.log'), 'utf8')).toBe('R log v2\n');
    await expect(readFile(onR('old.log'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("sends them no more once R has pulled E's rules", async () => {
    const pulled = await runClientOnce(pair.setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(onR('.zyncignore'), 'utf8')).toBe('*.log\n');
    const result = await runUpstream(pair.setup);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Nothing new to send upstream: 2 changes are already staged in \S+, waiting for zync-apply on E\.$/m);
    expect(await readFile(onR('notes.log'), 'utf8')).toBe('R log v2\n');
  });
});

describe('upstream: a large file E ignores since R last pulled', () => {
  it('is refused before its bytes: far fewer cross than the file holds, and it is left out as any ignored path', async () => {
    const pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, 'keep.txt'), 'keep v1\n');
    });
    // Counts what R sends E (the tunnel, as a user would meter it).
    const proxy = await startProxy({ targetPort: pair.daemon.port });
    try {
      await writeFile(path.join(pair.e, '.zyncignore'), '*.bin\n');
      await waitFor(() => pair.daemon.stderr().includes('.zyncignore changed; rescanning the root'), { what: 'the daemon to reload its rules' });
      const size = 512 * 1024 * 1024;
      await writeFile(path.join(pair.r, 'dump.bin'), '');
      await truncate(path.join(pair.r, 'dump.bin'), size);
      await writeFile(path.join(pair.r, 'keep.txt'), 'keep v2, edited on R\n');
      const result = await runUpstream(pair.setup, proxy.url);
      expect(result.code, result.stderr).toBe(11);
      expect(result.stderr).toBe(
        "zync-client: left out: docs/dump.bin is ignored on E (its .zyncignore); R keeps it as it is — run zync-client to get E's rules before the next --update-upstream.\n",
      );
      expect(result.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(0 added, 1 modified, 0 deleted; 0 conflicts\)\.$/m);
      // Before, E refused it only once all of it had arrived. What crosses now is what E took in
      // before its answer (a few MiB) and what was in flight then (the tunnel's buffers: here the
      // proxy's 32 MiB), not the file.
      expect(proxy.bytes.toTarget).toBeLessThan(size / 4);
    } finally {
      await proxy.close();
      await pair.daemon.stop();
    }
  });
});

// R un-ignores a file in its own .zyncignore and makes it: E still ignores it, so it is left out,
// but pulling E's rules cannot help (R's change to them is what waits, in a session on E). Before,
// every run said "run zync-client to get E's rules", which changed nothing, for ever.
describe("upstream: a file R's own .zyncignore change un-ignores", () => {
  it('is said to wait for the session that holds that change, and goes once E applied it', async () => {
    const pair = await syncedPair(async (e) => {
      await writeFile(path.join(e, '.zyncignore'), '*.log\n');
      await writeFile(path.join(e, 'a.txt'), 'a\n');
    });
    try {
      await writeFile(path.join(pair.r, '.zyncignore'), '# logs are wanted now\n');
      await writeFile(path.join(pair.r, 'r.log'), 'R log\n');
      const first = await runUpstream(pair.setup);
      expect(first.code, first.stderr).toBe(11);
      const stagingId = stagingIdFrom(first.stdout);
      const waits =
        `zync-client: left out: docs/r.log is ignored on E (its .zyncignore); R's own change to docs/.zyncignore waits in session ${stagingId} on E: ` +
        'once it is applied there, docs/r.log goes with the next --update-upstream.\n';
      expect(first.stderr).toBe(waits);
      const pulled = await runClientOnce(pair.setup);
      expect(pulled.code, pulled.stderr).toBe(0);
      const again = await runUpstream(pair.setup);
      expect(again.code, again.stderr).toBe(11);
      expect(again.stderr).toBe(waits);

      const applied = await runApply(pair.daemon, ['apply', stagingId, '--non-interactive']);
      expect(applied.code, applied.stderr).toBe(0);
      await waitFor(() => pair.daemon.stderr().includes('.zyncignore changed; rescanning the root'), { what: 'the daemon to reload its rules' });
      const after = await runUpstream(pair.setup);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toMatch(/^Staged 1 change upstream as session \S+ \(1 added, 0 modified, 0 deleted; 0 conflicts\)\./m);
    } finally {
      await pair.daemon.stop();
    }
  });
});
