// R sends entries below a directory of E's (d/x.txt, d/sub/ ...); after the session was staged, E
// replaced that directory with a file (`rm -r d && echo > d`), or with a symbolic link. The apply
// must not stop on a raw ENOTDIR/EEXIST half way, nor write through the link: each such entry is
// a conflict named for what E did. E's file may be replaced by R's directory (backed up first, as
// for any file R's version overwrites); a symbolic link is never followed nor replaced, so there
// only E's version can be kept. `show` still lists the whole session; --non-interactive changes
// nothing; --force applies the rest and says what it kept.
import { mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, treeDigest, waitFor, type DaemonHandle } from '../helpers/index.js';
import { daemonView, syncedPair } from '../client/support.js';
import { KEY, listSessions, runApply, runInPty, runUpstream, stagingIdFrom } from './support.js';

interface Setup {
  e: string;
  outside: string;
  daemon: DaemonHandle;
  stagingId: string;
}

/**
 * E holds d/old.txt, ld/f and top.txt; R adds d/x.txt and d/sub/y.txt, edits ld/f and top.txt.
 * Once that is staged, E replaces d with a file and ld with a link to a directory outside.
 */
async function stageThenBlockOnE(): Promise<Setup> {
  const { e, r, daemon, setup } = await syncedPair(async (e) => {
    await mkdir(path.join(e, 'd'));
    await writeFile(path.join(e, 'd/old.txt'), 'old\n');
    await mkdir(path.join(e, 'ld'));
    await writeFile(path.join(e, 'ld/f'), 'base\n');
    await writeFile(path.join(e, 'top.txt'), 'base\n');
  });
  await writeFile(path.join(r, 'd/x.txt'), 'R x\n');
  await mkdir(path.join(r, 'd/sub'));
  await writeFile(path.join(r, 'd/sub/y.txt'), 'R y\n');
  await writeFile(path.join(r, 'ld/f'), 'R f\n');
  await writeFile(path.join(r, 'top.txt'), 'R top\n');
  const staged = await runUpstream(setup);
  expect(staged.code, staged.stderr).toBe(0);
  expect(staged.stdout).toMatch(/0 conflicts\)/);

  await rm(path.join(e, 'd'), { recursive: true });
  await writeFile(path.join(e, 'd'), "E's file\n");
  const outside = tempDir('zync-outside-');
  await writeFile(path.join(outside, 'f'), 'outside\n');
  await rm(path.join(e, 'ld'), { recursive: true });
  await symlink(outside, path.join(e, 'ld'));
  // Only d: whether the daemon logs ld/f gone once ld is a link does not matter to the apply.
  await waitFor(async () => (await daemonView(daemon, 'docs')).get('d')?.kind === 'file', { what: 'the daemon to log d as a file' });
  return { e, outside, daemon, stagingId: stagingIdFrom(staged.stdout) };
}

async function expectLinkUntouched(s: Setup): Promise<void> {
  expect(await readlink(path.join(s.e, 'ld'))).toBe(s.outside);
  expect(await readdir(s.outside)).toEqual(['f']);
  expect(await readFile(path.join(s.outside, 'f'), 'utf8')).toBe('outside\n');
}

describe("upstream: E replaced a directory of R's entries with a file or a link", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stageThenBlockOnE();
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it('show lists every entry and names what E did', async () => {
    const shown = await runApply(s.daemon, ['show', s.stagingId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('5 entries, 4 conflicts against E now');
    expect(shown.stdout).toMatch(/d\/x\.txt\s+add\s+\d+ B\s+CONFLICT: E replaced the directory d with a file \(at staging: clean\)$/m);
    expect(shown.stdout).toMatch(/d\/sub\/\s+add\s+-\s+CONFLICT: E replaced the directory d with a file \(at staging: clean\)$/m);
    expect(shown.stdout).toMatch(/ld\/f\s+modify\s+\d+ B\s+CONFLICT: E holds a symbolic link at ld \(at staging: clean\)$/m);
    expect(shown.stdout).toMatch(/top\.txt\s+modify\s+\d+ B\s+ok: E unchanged since R's base$/m);
    const json = JSON.parse((await runApply(s.daemon, ['show', s.stagingId, '--json'])).stdout) as {
      conflict_count_now: number;
      entries: { path: string; e_blocked: { path: string; kind: string } | null }[];
    };
    expect(json.conflict_count_now).toBe(4);
    expect(json.entries.find((x) => x.path === 'ld/f')?.e_blocked).toEqual({ path: 'ld', kind: 'link' });
    expect(json.entries.find((x) => x.path === 'd/x.txt')?.e_blocked).toEqual({ path: 'd', kind: 'file' });
  });

  it('--non-interactive refuses the session and changes nothing', async () => {
    const before = await treeDigest(s.e);
    const refused = await runApply(s.daemon, ['apply', s.stagingId, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/has 4 conflicts .*nothing was changed/);
    expect(await treeDigest(s.e)).toEqual(before);
    await expectLinkUntouched(s);
  });

  it("keeping E's version leaves E's file and link as they are and applies the rest", async () => {
    const term = runInPty('apply', ['--db', s.daemon.db, 'apply', s.stagingId]);
    try {
      let at = await term.waitForText('what should E keep?');
      at = await term.waitForText('quit', at);
      expect(term.output()).toContain('Conflict 1 of 4: docs/d/sub — R made a directory here; E replaced the directory d with a file.');
      expect(term.output()).toContain("take upstream: replace E's file d with a directory (E's file is backed up)");
      // Enter alone keeps E's version: it never takes the choice that replaces E's file.
      expect(term.output()).toContain('Enter alone: e');
      term.type(KEY.enter);

      for (let n = 2; ; n++) {
        const from = (await term.waitForText(`Conflict ${n} of 4`, at)) - `Conflict ${n} of 4`.length;
        at = await term.waitForText('what should E keep?', from);
        at = await term.waitForText('quit', at);
        const screen = term.output().slice(from);
        if (screen.includes('docs/ld/f')) {
          expect(screen).toContain('E holds a symbolic link at ld; zync never writes through one.');
          expect(screen).not.toContain('take upstream');
          term.type(KEY.enter);
          break;
        }
        term.type(`e${KEY.enter}`); // keep E's (d/x.txt)
      }
      await term.waitForText('Applied session', at);
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    const out = term.output();
    expect(out).not.toMatch(/ENOTDIR|EEXIST|UNSAFE_PATH/);
    expect(out).toContain("Kept E's file docs/d: R's docs/d/x.txt needs a directory there, so it was not applied.");
    expect(out).toContain("Kept E's symbolic link docs/ld: zync does not write through one, so R's docs/ld/f was not applied.");
    expect(await readFile(path.join(s.e, 'd'), 'utf8')).toBe("E's file\n");
    expect(await readFile(path.join(s.e, 'top.txt'), 'utf8')).toBe('R top\n');
    await expectLinkUntouched(s);
    expect(await listSessions(s.daemon)).toEqual([expect.objectContaining({ staging_id: s.stagingId, status: 'applied' })]);
  });
});

describe("upstream: E replaced a directory of R's entries with a file (--force)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await stageThenBlockOnE();
  });
  afterAll(async () => {
    await s?.daemon.stop();
  });

  it("backs up E's file, makes R's directory, keeps the link and says so", async () => {
    const forced = await runApply(s.daemon, ['apply', s.stagingId, '--non-interactive', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/Applied session \S+: 3 written, 0 deleted, 1 directory created, 1 kept E's version, 1 conflict resolved as R's version \(--force\)\./);
    expect(forced.stdout).toContain("Kept E's symbolic link docs/ld: zync does not write through one, so R's docs/ld/f was not applied.");
    expect((await stat(path.join(s.e, 'd'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(s.e, 'd/x.txt'), 'utf8')).toBe('R x\n');
    expect(await readFile(path.join(s.e, 'd/sub/y.txt'), 'utf8')).toBe('R y\n');
    expect(await readFile(path.join(s.e, 'top.txt'), 'utf8')).toBe('R top\n');
    const backup = path.join(s.daemon.stateDir, 'zync-backups', s.stagingId, 'docs', 'd');
    expect(await readFile(backup, 'utf8')).toBe("E's file\n");
    await expectLinkUntouched(s);
    await waitFor(async () => (await daemonView(s.daemon, 'docs')).get('d/sub/y.txt')?.kind === 'file', { what: "the daemon to log R's files" });
  });
});
