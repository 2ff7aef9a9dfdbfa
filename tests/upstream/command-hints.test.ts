// zync-apply's hints ("run zync-apply apply ID in a terminal") carry the --db the user gave, quoted
// for the shell, so that each pasted as it is into sh opens that database — also for a --db given
// to `show` without an ID, which is refused before the database is opened. Paths in the same
// sentence (a file named "zync-apply show.txt") are printed as they are, never taken for a hint.
import { spawn } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir, type CliResult, type DaemonHandle } from '../helpers/index.js';
import { syncedPair, waitForDaemonToSee, type ClientSetup } from '../client/support.js';
import { runUpstream, stagingIdFrom } from './support.js';

const FILE = 'zync-apply show.txt';

/** Runs `line` in sh, as a person pasting it, with `zync-apply` on the PATH. */
async function paste(line: string, cwd: string, binDir: string): Promise<CliResult> {
  const proc = spawn('sh', ['-c', line], { cwd, env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number>((resolve) => proc.on('exit', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** The command a sentence tells the user to run, between `before` and `after`. */
function hintIn(text: string, before: string, after: string): string {
  const at = text.indexOf(before);
  const end = text.indexOf(after, at + before.length);
  if (at < 0 || end < 0) throw new Error(`no hint between "${before}" and "${after}" in: ${text}`);
  return text.slice(at + before.length, end);
}

describe('zync-apply hints pasted as they are', () => {
  let e: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;
  let stagingId: string;
  let binDir: string;
  /** A directory whose name needs quoting, holding a link to the daemon's database. */
  let quotedDir: string;
  let quotedDb: string;

  beforeAll(async () => {
    let r: string;
    ({ e, r, daemon, setup } = await syncedPair(async (e) => {
      await writeFile(path.join(e, FILE), 'base\n');
    }));
    await writeFile(path.join(e, FILE), 'E edit\n');
    await writeFile(path.join(r, FILE), 'R edit\n');
    await waitForDaemonToSee(daemon, 'docs', e);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    stagingId = stagingIdFrom(staged.stdout);

    binDir = tempDir('zync-bin-');
    await writeFile(path.join(binDir, 'zync-apply'), `#!/bin/sh\nexec '${process.execPath}' '${BIN.apply}' "$@"\n`);
    await chmod(path.join(binDir, 'zync-apply'), 0o755);
    quotedDir = path.join(tempDir(), "E's $state");
    await mkdir(quotedDir);
    quotedDb = path.join(quotedDir, 'sync.db');
    await symlink(daemon.db, quotedDb);
    await symlink(daemon.db, path.join(quotedDir, '-x.db'));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('prints a path holding "zync-apply show" as it is, and its hint opens the same database from anywhere', async () => {
    const refused = await runCli('apply', ['--db', quotedDb, 'apply', stagingId, '--non-interactive']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(`(first: docs/${FILE});`);
    const hint = hintIn(refused.stderr, 'nothing was changed — run ', ' in a terminal');
    expect(hint).toBe(`zync-apply --db '${quotedDir.replaceAll("'", "'\\''")}/sync.db' apply ${stagingId}`);
    // Without a terminal the pasted command refuses the same session again: it found it.
    const again = await paste(`${hint} --non-interactive`, tempDir(), binDir);
    expect(again.stderr).toBe(refused.stderr);
    expect(again.code).toBe(6);
  });

  it("gives a --db starting with '-' as --db=NAME, which pasted opens that database", async () => {
    const refused = await runCli('apply', ['--db=-x.db', 'apply', stagingId, '--non-interactive'], { cwd: quotedDir });
    expect(refused.code).toBe(6);
    const hint = hintIn(refused.stderr, 'nothing was changed — run ', ' in a terminal');
    expect(hint).toBe(`zync-apply --db=-x.db apply ${stagingId}`);
    const again = await paste(`${hint} --non-interactive`, quotedDir, binDir);
    expect(again.stderr).toBe(refused.stderr);
  });

  it("list's hint to show a session pastes, with the session's ID for ID", async () => {
    const listed = await runCli('apply', ['--db', quotedDb, 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    const hint = hintIn(listed.stdout, 'staged; ', ' counts them');
    expect(hint).toMatch(/ show ID$/);
    const shown = await paste(hint.replace(/ID$/, stagingId), tempDir(), binDir);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Session ${stagingId}`);
    expect(shown.stdout).toContain(FILE);
  });

  it('show without an ID names the --db given in its hint, which pasted lists the sessions', async () => {
    for (const args of [['--db', quotedDb, 'show'], ['show', `--db=${quotedDb}`]]) {
      const refused = await runCli('apply', args);
      expect(refused.code).toBe(2);
      const hint = hintIn(refused.stderr, 'as ', ' shows it.');
      expect(refused.stderr).toBe(`zync-apply: Name the session by its ID, as ${hint} shows it.\n`);
      const listed = await paste(hint, tempDir(), binDir);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain(stagingId);
    }
  });
});
