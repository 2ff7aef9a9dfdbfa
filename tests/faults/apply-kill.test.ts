// kill -9 of zync-apply in the middle of an apply, twice: a session of ~500 entries (new files,
// four large edits, small edits, deletions) is applied; the first run is killed while it writes a
// large file into E's root, the second while it works through the small files. After each kill
// every file in E's tree is whole (E's old content or R's new one, byte for byte) and `show`
// says how far the session got; the third run completes it without applying anything twice:
// the change log holds exactly one entry per path the session touched, each backup holds E's
// old content and none was written twice, no temp file is left in E's roots or the backups, and
// R, pulling, converges to E without a conflict. (`show --json` of ~500 entries is far more than
// a pipe's 64 KiB buffer: it also proves zync-apply's output arrives whole.)
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  findTempFiles,
  sameTree,
  sha256File,
  spawnCli,
  startDaemon,
  tempDir,
  treeDigest,
  waitFor,
  writeRandomFile,
  type DaemonHandle,
  type SpawnedCli,
  type TreeEntry,
} from '../helpers/index.js';
import { conflictCopies, runClientOnce, stateDb, waitForDaemonToSee, writeTree, type ClientSetup } from '../client/support.js';
import { runApply, runUpstream, stagingIdFrom } from '../upstream/support.js';

const MiB = 1024 * 1024;
const BIG = 4;
const BIG_BYTES = 16 * MiB;

interface LoggedChange {
  sequence: number;
  operation: string;
  kind: string;
  path: string;
}

async function changesSince(daemon: DaemonHandle, since: number): Promise<LoggedChange[]> {
  const client = await connect(daemon.url, daemon.token);
  try {
    const out: LoggedChange[] = [];
    for (;;) {
      const page = await client.request('GET_CHANGES', { since_sequence: since, limit: 5000 });
      if (page.status !== 'ok') throw new Error(`GET_CHANGES failed: ${page.error}`);
      out.push(...(page.changes as LoggedChange[]));
      since = page.to_sequence as number;
      if (!page.more_available) return out;
    }
  } finally {
    await client.close();
  }
}

async function lastSequence(daemon: DaemonHandle): Promise<number> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return (await client.request('GET_LAST_SEQUENCE')).last_sequence as number;
  } finally {
    await client.close();
  }
}

/** Every file in E's tree is E's old version or R's new one; nothing else, nothing partial. */
async function expectWhole(e: string, old: Record<string, TreeEntry>, next: Record<string, TreeEntry>): Promise<void> {
  for (const [p, entry] of Object.entries(await treeDigest(e))) {
    if (entry.kind !== 'file') continue;
    const versions = [old[p], next[p]].filter((v): v is TreeEntry => v !== undefined).map((v) => v.sha256);
    expect(versions, `E's ${p} is neither E's old nor R's new content`).toContain(entry.sha256);
  }
}

interface ShowJson {
  status: string;
  entries: { path: string; kind: string; operation: string; apply_state: string; resolution: string | null; backup: string | null }[];
}

async function show(daemon: DaemonHandle, id: string): Promise<ShowJson> {
  const result = await runApply(daemon, ['show', id, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ShowJson;
}

describe('zync-apply killed in the middle of an apply', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    for (let i = 0; i < BIG; i++) await writeRandomFile(path.join(e, `big/b${i}.bin`), BIG_BYTES);
    await writeTree(path.join(e, 'c-mod'), 100);
    await writeTree(path.join(e, 'd-del'), 20);
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    await waitForDaemonToSee(daemon, 'docs', e);
    const first = await runClientOnce(setup);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('leaves E whole, resumes, applies nothing twice, and R converges', async () => {
    // R's edits: new files sorted before and after the large ones, every large and small file
    // rewritten, a directory of files deleted.
    await writeTree(path.join(r, 'a-new'), 150);
    for (let i = 0; i < BIG; i++) await writeRandomFile(path.join(r, `big/b${i}.bin`), BIG_BYTES);
    for (const [p, entry] of Object.entries(await treeDigest(path.join(r, 'c-mod')))) {
      if (entry.kind === 'file') await writeFile(path.join(r, 'c-mod', p), `edited on R: ${p}\n`);
    }
    await rm(path.join(r, 'd-del'), { recursive: true });
    await writeTree(path.join(r, 'e-new'), 200);
    const staged = await runUpstream(setup);
    expect(staged.code, staged.stderr).toBe(0);
    const id = stagingIdFrom(staged.stdout);
    const eOld = await treeDigest(e);
    const rNew = await treeDigest(r);
    const total = (await show(daemon, id)).entries.length;
    expect(total).toBeGreaterThan(450);
    const before = await lastSequence(daemon);
    const apply = () => spawnCli('apply', ['--db', daemon.db, 'apply', id, '--non-interactive']);
    const killWhen = async (run: SpawnedCli, ready: () => Promise<boolean>, what: string) => {
      await waitFor(ready, { timeoutMs: 60_000, intervalMs: 2, what });
      run.proc.kill('SIGSTOP');
      expect(await run.kill9()).toBe('SIGKILL');
    };
    const bigTemps = async () => {
      const names = (await readdir(path.join(e, 'big')).catch(() => [] as string[])).filter((n) => n.startsWith('.zync-tmp-'));
      return Promise.all(names.map((n) => stat(path.join(e, 'big', n)).then((s) => s.size, () => 0)));
    };

    // 1: killed while a large file is being written into E's root (a few MiB of it written).
    await killWhen(apply(), async () => (await bigTemps()).some((size) => size > MiB), 'a large file being written on E');
    await expectWhole(e, eOld, rNew);
    const stale = (await bigTemps()).length;
    expect(stale).toBe(1);
    let progress = await show(daemon, id);
    expect(progress.status).toBe('complete');
    const appliedAfterFirst = progress.entries.filter((x) => x.apply_state === 'applied').length;
    expect(appliedAfterFirst).toBeGreaterThan(0);
    expect(appliedAfterFirst).toBeLessThan(total);

    // 2: killed again while it works through the small new files after the edits.
    const newFiles = async () => Object.values(await treeDigest(path.join(e, 'e-new')).catch(() => ({}))).filter((x) => x.kind === 'file').length;
    const second = apply();
    await killWhen(second, async () => (await newFiles()) >= 20, 'the second run to reach the last new files');
    expect(second.stdout()).toMatch(`Removed 1 temp file(s) left by an interrupted apply of ${id}.`);
    expect(await bigTemps()).toEqual([]);
    await expectWhole(e, eOld, rNew);
    progress = await show(daemon, id);
    const appliedAfterSecond = progress.entries.filter((x) => x.apply_state === 'applied').length;
    expect(appliedAfterSecond).toBeGreaterThan(appliedAfterFirst);
    expect(appliedAfterSecond).toBeLessThan(total);
    const listed = await runApply(daemon, ['list']);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+partly applied \\(${appliedAfterSecond}/${total}\\)`));

    // 3: the rerun completes it.
    const done = await runApply(daemon, ['apply', id, '--non-interactive']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`Applied session ${id}: `));
    progress = await show(daemon, id);
    expect(progress.status).toBe('applied');
    expect(progress.entries.every((x) => x.apply_state === 'applied' && (x.resolution === 'upstream' || x.resolution === 'unchanged'))).toBe(true);
    expect(await sameTree(e, r)).toBe(true);
    expect(await findTempFiles(e)).toEqual([]);

    // Exactly one log entry per path the session touched (files and the directories it made).
    await waitForDaemonToSee(daemon, 'docs', e);
    const logged = await changesSince(daemon, before);
    const perPath = new Map<string, number>();
    for (const c of logged) perPath.set(c.path, (perPath.get(c.path) ?? 0) + 1);
    const twice = [...perPath].filter(([, n]) => n > 1).map(([p]) => p);
    expect(twice, 'paths logged more than once').toEqual([]);
    for (const entry of progress.entries) expect(perPath.get(entry.path), `${entry.path} not logged`).toBe(1);

    // Each backup holds E's old content, written once (no ".1" second copy), no temp files.
    const backupRoot = path.join(daemon.stateDir, 'zync-backups', id);
    const backups = await treeDigest(backupRoot);
    expect(await findTempFiles(backupRoot)).toEqual([]);
    const replaced = progress.entries.filter((x) => x.kind === 'file' && x.operation !== 'add').map((x) => x.path);
    expect(replaced.length).toBe(BIG + 100 + 20);
    expect(Object.keys(backups).filter((p) => backups[p]!.kind === 'file').sort()).toEqual(replaced.map((p) => `docs/${p}`).sort());
    for (const p of replaced) expect(backups[`docs/${p}`]!.sha256, `backup of ${p}`).toBe(eOld[p]!.sha256);
    for (const entry of progress.entries.filter((x) => x.backup)) expect(await sha256File(entry.backup!)).toBe(eOld[entry.path]!.sha256);

    // R receives the applied changes as ordinary changes: equal to E, no conflict copies.
    const pulled = await runClientOnce(setup);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await sameTree(r, e)).toBe(true);
    expect(await conflictCopies(r)).toEqual([]);
  });
});
