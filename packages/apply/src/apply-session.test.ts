// The apply executor on a real SQLite file and temp dirs, with the prompt replaced by a script of
// answers: resuming after a crash between write and record, quitting and resuming, keeping
// both, and re-checking a conflict that E resolved after staging. node:fs/promises (and node:fs's
// linkSync) are wrapped to record, in order, the calls that decide durability (fsync, rename,
// link, unlink).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256, tempPathFor } from '@zync/common';
import { DaemonStore, StagingStore, type NewStagedEntry } from '@zync/daemon';
import { applySession, type ApplyContext } from './apply-session.js';
import type { ConflictAnswer, ConflictQuestion } from './prompts.js';

/** Completed fsyncs, renames, links and unlinks (and marks, added by the test), while events is set. */
const fsLog = vi.hoisted(() => ({
  events: null as string[] | null,
  /** Runs just before a file handle's fsync (a test's writer on E acting at that moment). */
  beforeSync: null as ((path: string) => Promise<void>) | null,
  /** copyFile writes this many bytes of the source, then fails with this errno code (a full disk). */
  copyFails: null as { bytes: number; code: string } | null,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const note = (event: string) => void fsLog.events?.push(event);
  const open: typeof fs.open = async (path, ...rest) => {
    const handle = await fs.open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      await fsLog.beforeSync?.(String(path));
      await sync();
      note(`fsync ${String(path)}`);
    };
    return handle;
  };
  const rename: typeof fs.rename = async (from, to) => {
    await fs.rename(from, to);
    note(`rename ${String(to)}`);
  };
  const unlink: typeof fs.unlink = async (path) => {
    await fs.unlink(path);
    note(`unlink ${String(path)}`);
  };
  const copyFile: typeof fs.copyFile = async (from, to, mode) => {
    const fails = fsLog.copyFails;
    if (!fails) return fs.copyFile(from, to, mode);
    await fs.writeFile(to, (await fs.readFile(from)).subarray(0, fails.bytes));
    throw Object.assign(new Error(`${fails.code}: simulated, copyfile '${String(from)}'`), { code: fails.code });
  };
  return { ...fs, open, rename, unlink, copyFile, default: { ...fs, open, rename, unlink, copyFile } };
});
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync: typeof fs.linkSync = (from, to) => {
    fs.linkSync(from, to);
    fsLog.events?.push(`link ${String(to)}`);
  };
  return { ...fs, linkSync, default: { ...fs, linkSync } };
});

let work: string;
let root: string;
let stateDir: string;
let daemon: DaemonStore;
let staging: StagingStore;

beforeEach(async () => {
  work = mkdtempSync(nodePath.join(tmpdir(), 'zync-apply-test-'));
  root = nodePath.join(work, 'E');
  stateDir = nodePath.join(work, 'state');
  await mkdir(root);
  await mkdir(stateDir);
  daemon = DaemonStore.open(nodePath.join(stateDir, 'sync.db'));
  staging = new StagingStore(daemon.db);
});

afterEach(() => {
  daemon.close();
  rmSync(work, { recursive: true, force: true });
});

interface StageSpec {
  path: string;
  /** A directory R made (content '') or removed (content null). */
  dir?: boolean;
  /** R's permission bits (default 0o755 for a directory, 0o644 for a file). */
  mode?: number;
  /** R's content; null = deleted on R. */
  content: string | null;
  /** What R had received; null = new on R. */
  base: string | null;
}

/** Stages a complete session as the daemon would have. */
async function stage(id: string, specs: StageSpec[]): Promise<void> {
  staging.createSession({ staging_id: id, client_id: 'r', file_count: specs.length, now: 1 });
  const dir = nodePath.join(stateDir, 'zync-staging', id);
  await mkdir(dir, { recursive: true });
  for (const [i, s] of specs.entries()) {
    if (s.dir) {
      staging.addEntry({
        staging_id: id,
        entry_no: i + 1,
        base_dir: 'docs',
        path: s.path,
        kind: 'dir',
        operation: s.content === null ? 'delete' : 'add',
        checksum: null,
        size: 0,
        mode: s.mode ?? 0o755,
        mtime: null,
        // A directory R made over a file it had received carries that file as its base.
        base_checksum: s.base === null ? null : sha256(s.base),
        e_checksum: null,
        conflict: false,
        blob: null,
      });
      continue;
    }
    const blob = s.content === null ? null : `${i + 1}.blob`;
    if (blob) await writeFile(nodePath.join(dir, blob), s.content!);
    const entry: NewStagedEntry = {
      staging_id: id,
      entry_no: i + 1,
      base_dir: 'docs',
      path: s.path,
      kind: 'file',
      operation: s.content === null ? 'delete' : s.base === null ? 'add' : 'modify',
      checksum: s.content === null ? null : sha256(s.content),
      size: s.content?.length ?? 0,
      mode: s.mode ?? 0o644,
      mtime: null,
      base_checksum: s.base === null ? null : sha256(s.base),
      e_checksum: null,
      conflict: false,
      blob,
    };
    staging.addEntry(entry);
  }
  staging.completeSession(id, 2);
}

function context(answers: ConflictAnswer[] | null, force = false) {
  const printed: string[] = [];
  const asked: ConflictQuestion[] = [];
  const ctx: ApplyContext = {
    daemon,
    staging,
    stateDir,
    db: null,
    dirs: [{ name: 'docs', root }],
    chalk: new Chalk({ level: 0 }),
    print: (t) => printed.push(t),
    ask:
      answers === null
        ? null
        : async (q) => {
            asked.push(q);
            const next = answers.shift();
            if (!next) throw new Error(`unexpected question about ${q.what}`);
            return next;
          },
    force,
  };
  return { ctx, printed, asked };
}

const read = (rel: string) => readFile(nodePath.join(root, rel), 'utf8');
const changesFor = (path: string) =>
  daemon.changesSince(0, 1000).changes.filter((c) => c.path === path).map((c) => [c.operation, c.checksum]);

describe('applySession', () => {
  it('writes, deletes and records each entry, backing up what it replaces', async () => {
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    await writeFile(nodePath.join(root, 'gone.txt'), 'base gone');
    await stage('S', [
      { path: 'a.txt', content: 'R a', base: 'base a' },
      { path: 'gone.txt', content: null, base: 'base gone' },
      { path: 'new/dir/n.txt', content: 'R n', base: null },
    ]);
    const { ctx } = context(null);
    const outcome = await applySession(ctx, 'S');
    expect(outcome.finished).toBe(true);
    expect(outcome.tally).toMatchObject({ written: 2, deleted: 1 });
    expect(await read('a.txt')).toBe('R a');
    expect(await read('new/dir/n.txt')).toBe('R n');
    await expect(read('gone.txt')).rejects.toThrow();
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'), 'utf8')).toBe('base a');
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/gone.txt'), 'utf8')).toBe('base gone');
    expect(changesFor('a.txt')).toEqual([['add', sha256('R a')]]);
    expect(changesFor('gone.txt')).toEqual([]); // never recorded before: nothing to delete in the log
    expect(changesFor('new/dir')).toEqual([['add', null]]);
    expect(staging.getSession('S')?.status).toBe('applied');
    expect(staging.listEntries('S').every((e) => e.apply_state === 'applied')).toBe(true);
    // The staged bytes are gone once applied; the backups stay.
    await expect(readdir(nodePath.join(stateDir, 'zync-staging/S'))).rejects.toThrow();
  });

  it('makes each backup durable (content, entry, new directories) before marking the entry and touching E’s file', async () => {
    await mkdir(nodePath.join(root, 'sub'));
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    await writeFile(nodePath.join(root, 'b.txt'), 'base b');
    await writeFile(nodePath.join(root, 'sub/gone.txt'), 'base gone');
    await stage('S', [
      { path: 'a.txt', content: 'R a', base: 'base a' },
      { path: 'b.txt', content: 'R b', base: 'base b' },
      { path: 'sub/gone.txt', content: null, base: 'base gone' },
    ]);
    const log: string[] = [];
    const mark = staging.markEntryApplying.bind(staging);
    staging.markEntryApplying = (id, baseDir, path, ...rest) => {
      log.push(`mark ${path}`);
      return mark(id, baseDir, path, ...rest);
    };
    fsLog.events = log;
    try {
      await applySession(context(null).ctx, 'S');
    } finally {
      fsLog.events = null;
    }

    const at = (event: string | ((e: string) => boolean)) => log.findIndex((e) => (typeof event === 'string' ? e === event : event(e)));
    const backups = nodePath.join(stateDir, 'zync-backups');
    const docs = nodePath.join(backups, 'S', 'docs');
    const cases = [
      { path: 'a.txt', dir: docs, newDirs: [backups, nodePath.join(backups, 'S'), docs], touch: `rename ${nodePath.join(root, 'a.txt')}` },
      { path: 'b.txt', dir: docs, newDirs: [], touch: `rename ${nodePath.join(root, 'b.txt')}` },
      { path: 'sub/gone.txt', dir: nodePath.join(docs, 'sub'), newDirs: [nodePath.join(docs, 'sub')], touch: `unlink ${nodePath.join(root, 'sub/gone.txt')}` },
    ];
    for (const c of cases) {
      const dest = nodePath.join(c.dir, nodePath.basename(c.path));
      const tempStem = tempPathFor(dest).slice(0, -12); // the temp name without its 12 hex digits
      const contentSynced = at((e) => e.startsWith(`fsync ${tempStem}`));
      const renamed = at(`rename ${dest}`);
      const marked = at(`mark ${c.path}`);
      expect(contentSynced, `${c.path}: backup content fsynced before its rename`).toBeGreaterThanOrEqual(0);
      expect(renamed, `${c.path}: backup renamed into place`).toBeGreaterThan(contentSynced);
      // Its own directory, and the parent of each directory made for it, fsynced after the rename.
      for (const dir of [c.dir, ...c.newDirs.map((d) => nodePath.dirname(d))]) {
        const synced = log.findIndex((e, i) => i > renamed && e === `fsync ${dir}`);
        expect(synced, `${c.path}: ${dir} fsynced after the backup's rename`).toBeGreaterThan(renamed);
        expect(synced, `${c.path}: ${dir} fsynced before the entry is marked applying`).toBeLessThan(marked);
      }
      expect(at(c.touch), `${c.path}: E's file touched after the mark`).toBeGreaterThan(marked);
    }
    // The chain above the backup directory is fsynced once per run, not once per backup.
    expect(log.filter((e) => e === `fsync ${stateDir}`)).toHaveLength(1);
    expect(log.filter((e) => e === `fsync ${nodePath.join(backups, 'S')}`)).toHaveLength(1);
  });

  it('makes the entries of directories it had to make for R’s file durable before recording it', async () => {
    await stage('S', [{ path: 'new/dir/n.txt', content: 'R n', base: null }]);
    const log: string[] = [];
    const applied = staging.markEntryApplied.bind(staging);
    staging.markEntryApplied = (id, baseDir, path, ...rest) => {
      log.push(`applied ${path}`);
      return applied(id, baseDir, path, ...rest);
    };
    fsLog.events = log;
    try {
      await applySession(context(null).ctx, 'S');
    } finally {
      fsLog.events = null;
    }
    // Nothing was there: linked into place, not renamed.
    const placed = log.indexOf(`link ${nodePath.join(root, 'new/dir/n.txt')}`);
    const recorded = log.indexOf('applied new/dir/n.txt');
    expect(placed).toBeGreaterThanOrEqual(0);
    for (const dir of [nodePath.join(root, 'new/dir'), nodePath.join(root, 'new'), root]) {
      const synced = log.findIndex((event, i) => i > placed && event === `fsync ${dir}`);
      expect(synced, `${dir} fsynced after the link`).toBeGreaterThan(placed);
      expect(synced, `${dir} fsynced before the entry is recorded`).toBeLessThan(recorded);
    }
  });

  it('after a crash between write and record, a new run records the entry once and writes nothing', async () => {
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    daemon.recordChanges([{ operation: 'add', kind: 'file', base_dir: 'docs', path: 'a.txt', checksum: sha256('base a'), size: 6, mtime: 1, mode: 0o644 }]);
    await stage('S', [{ path: 'a.txt', content: 'R a', base: 'base a' }]);
    // The crashed run: backup taken, entry marked applying, file written, nothing recorded.
    await mkdir(nodePath.join(stateDir, 'zync-backups/S/docs'), { recursive: true });
    await writeFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'), 'base a');
    staging.markEntryApplying('S', 'docs', 'a.txt', nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'));
    await writeFile(nodePath.join(root, 'a.txt'), 'R a');

    const outcome = await applySession(context(null).ctx, 'S');
    expect(outcome.tally).toMatchObject({ written: 0, unchanged: 1 });
    expect(changesFor('a.txt')).toEqual([
      ['add', sha256('base a')],
      ['modify', sha256('R a')],
    ]);
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'), 'utf8')).toBe('base a');
    // It was this apply that wrote R's version: recorded as taken upstream, its backup kept.
    expect(staging.getEntry('S', 'docs', 'a.txt')).toMatchObject({
      apply_state: 'applied',
      resolution: 'upstream',
      backup: nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'),
    });

    // And once applied, it is never applied again.
    await expect(applySession(context(null).ctx, 'S')).rejects.toMatchObject({ code: 'SESSION_NOT_APPLIABLE' });
  });

  it('a run killed after making R’s read-only directory, before recording it, still ends with R’s bits', async () => {
    await stage('S', [
      { path: 'ro', content: '', base: null, dir: true, mode: 0o555 },
      { path: 'ro/f.txt', content: 'R f', base: null },
    ]);
    // The killed run: the directory marked applying, made with its working bits, not recorded.
    staging.markEntryApplying('S', 'docs', 'ro', null);
    await mkdir(nodePath.join(root, 'ro'));
    await chmod(nodePath.join(root, 'ro'), 0o755);

    const outcome = await applySession(context(null).ctx, 'S');
    expect(outcome.finished).toBe(true);
    expect(await read('ro/f.txt')).toBe('R f');
    expect((await stat(nodePath.join(root, 'ro'))).mode & 0o7777).toBe(0o555);
    expect(staging.getEntry('S', 'docs', 'ro')).toMatchObject({ apply_state: 'applied', resolution: 'upstream' });
    await chmod(nodePath.join(root, 'ro'), 0o755);
  });

  it('a run killed between removing E’s file and making R’s directory there completes without a conflict', async () => {
    await writeFile(nodePath.join(root, 'thing'), 'a file R had received');
    // R replaced the file it had received with a directory holding a file.
    await stage('S', [
      { path: 'thing', content: '', base: 'a file R had received', dir: true },
      { path: 'thing/a.txt', content: 'R a', base: null },
    ]);
    // The killed run: E's file backed up, the entry marked applying, E's file removed; no directory yet.
    const backup = nodePath.join(stateDir, 'zync-backups/S/docs/thing');
    await mkdir(nodePath.dirname(backup), { recursive: true });
    await writeFile(backup, 'a file R had received');
    staging.markEntryApplying('S', 'docs', 'thing', backup);
    await rm(nodePath.join(root, 'thing'));

    const outcome = await applySession(context(null).ctx, 'S');
    expect(outcome.finished).toBe(true);
    expect(await read('thing/a.txt')).toBe('R a');
    expect(await readFile(backup, 'utf8')).toBe('a file R had received');
    expect(staging.getEntry('S', 'docs', 'thing')).toMatchObject({ apply_state: 'applied', resolution: 'upstream', backup });
  });

  it('a full disk while backing up E’s file says where, that the entries before it were applied, and what to do', async () => {
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    await writeFile(nodePath.join(root, 'b.txt'), 'base b');
    await stage('S', [
      { path: 'a.txt', content: 'R a', base: 'base a' },
      { path: 'b.txt', content: 'R b', base: 'base b' },
    ]);
    const applyWith = async (copyFails: { bytes: number; code: string } | null) => {
      // The backup of a.txt goes through; b.txt's meets the full disk.
      let copies = 0;
      const fails = copyFails;
      fsLog.copyFails = null;
      const original = staging.markEntryApplied.bind(staging);
      staging.markEntryApplied = (...args) => {
        original(...args);
        if (++copies === 1) fsLog.copyFails = fails;
      };
      try {
        return await applySession(context(null).ctx, 'S');
      } finally {
        fsLog.copyFails = null;
        staging.markEntryApplied = original;
      }
    };
    const failed = await applyWith({ bytes: 2, code: 'ENOSPC' }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'DISK_FULL' });
    const backups = nodePath.join(stateDir, 'zync-backups/S/docs');
    expect((failed as Error).message).toBe(
      `Could not apply docs/b.txt: no space left on device while backing up E's file to ${nodePath.join(backups, 'b.txt')}; the entries before it were applied — free space and run zync-apply apply S again.`,
    );
    expect(await read('a.txt')).toBe('R a');
    expect(await read('b.txt')).toBe('base b');
    expect(await readdir(backups)).toEqual(['a.txt']); // no half-copied backup left on the full disk

    const done = await applyWith(null);
    expect(done.finished).toBe(true);
    expect(await read('b.txt')).toBe('R b');
  });

  it('a run killed mid-write left temp files beside the target and in the backups: the rerun removes them', async () => {
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    await writeFile(nodePath.join(root, 'other.txt'), 'not in the session');
    await stage('S', [{ path: 'a.txt', content: 'R a', base: 'base a' }]);
    // The killed run: backup taken, entry marked applying, R's content half written to a temp file.
    const backupDir = nodePath.join(stateDir, 'zync-backups/S/docs');
    await mkdir(backupDir, { recursive: true });
    await writeFile(nodePath.join(backupDir, 'a.txt'), 'base a');
    await writeFile(tempPathFor(nodePath.join(backupDir, 'b.txt')), 'half a backup');
    staging.markEntryApplying('S', 'docs', 'a.txt', nodePath.join(backupDir, 'a.txt'));
    await writeFile(tempPathFor(nodePath.join(root, 'a.txt')), 'R');
    const foreign = tempPathFor(nodePath.join(root, 'other.txt'));
    await writeFile(foreign, 'another writer’s');

    const { ctx, printed } = context(null);
    const outcome = await applySession(ctx, 'S');
    expect(outcome.tally).toMatchObject({ written: 1 });
    expect(printed[0]).toBe('Removed 2 temp file(s) left by an interrupted apply of S.');
    expect((await readdir(root)).sort()).toEqual(['a.txt', nodePath.basename(foreign), 'other.txt'].sort());
    expect(await readdir(backupDir)).toEqual(['a.txt']);
    expect(await read('a.txt')).toBe('R a');
  });

  it('keep both killed after writing the copy: the rerun reuses it instead of writing a second one', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [{ path: 'both.txt', content: 'R edit', base: 'base' }]);
    staging.markEntryApplying('S', 'docs', 'both.txt', null, 'docs/both.zync-conflict-20260101-000000-upstream.txt');
    await writeFile(nodePath.join(root, 'both.zync-conflict-20260101-000000-upstream.txt'), 'R edit');

    const outcome = await applySession(context(['keep_both']).ctx, 'S');
    expect(outcome.tally).toMatchObject({ kept_both: 1 });
    expect((await readdir(root)).sort()).toEqual(['both.txt', 'both.zync-conflict-20260101-000000-upstream.txt']);
    expect(staging.getEntry('S', 'docs', 'both.txt')).toMatchObject({
      apply_state: 'applied',
      resolution: 'kept_both',
      copy_path: 'docs/both.zync-conflict-20260101-000000-upstream.txt',
    });
  });

  it('an edit E saves while R’s content is being made durable is not overwritten', async () => {
    await writeFile(nodePath.join(root, 'a.txt'), 'base a');
    await stage('S', [{ path: 'a.txt', content: 'R a', base: 'base a' }]);
    // E's editor saves just as R's temp file is fsynced (a large file's fsync takes seconds).
    const tempStem = tempPathFor(nodePath.join(root, 'a.txt')).slice(0, -12);
    fsLog.beforeSync = async (path) => {
      if (!path.startsWith(tempStem)) return;
      fsLog.beforeSync = null;
      await writeFile(nodePath.join(root, 'a.txt'), 'E saved this meanwhile');
    };
    try {
      await expect(applySession(context(null).ctx, 'S')).rejects.toMatchObject({ code: 'SESSION_NOT_APPLIABLE' });
    } finally {
      fsLog.beforeSync = null;
    }
    expect(await read('a.txt')).toBe('E saved this meanwhile');
    expect(staging.getEntry('S', 'docs', 'a.txt')?.apply_state).not.toBe('applied');
  });

  it('a resumed run backs up E’s file again when it changed since an earlier attempt’s backup', async () => {
    await stage('S', [{ path: 'a.txt', content: 'R a', base: 'base a' }]);
    await mkdir(nodePath.join(stateDir, 'zync-backups/S/docs'), { recursive: true });
    await writeFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'), 'base a');
    staging.markEntryApplying('S', 'docs', 'a.txt', nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'));
    await writeFile(nodePath.join(root, 'a.txt'), 'E edited meanwhile');

    await applySession(context(null, true).ctx, 'S');
    expect(await read('a.txt')).toBe('R a');
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt'), 'utf8')).toBe('base a');
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt.1'), 'utf8')).toBe('E edited meanwhile');
    expect(staging.getEntry('S', 'docs', 'a.txt')?.backup).toBe(nodePath.join(stateDir, 'zync-backups/S/docs/a.txt.1'));
  });

  it('--force says how many conflicts it settled as R’s version, and where E’s versions went', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await writeFile(nodePath.join(root, 'mine.txt'), 'base');
    await stage('S', [
      { path: 'both.txt', content: 'R edit', base: 'base' },
      { path: 'mine.txt', content: 'R only', base: 'base' },
    ]);
    const outcome = await applySession(context(null, true).ctx, 'S');
    expect(outcome.tally).toMatchObject({ written: 2, forced: 1 });
    expect(outcome.summary.split('\n')).toEqual([
      "Applied session S: 2 written, 0 deleted, 1 conflict resolved as R's version (--force).",
      `E's previous versions were backed up under ${nodePath.join(stateDir, 'zync-backups', 'S')}`,
    ]);
  });

  it('quitting at the first entry says nothing was applied', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [
      { path: 'both.txt', content: 'R edit', base: 'base' },
      { path: 'new.txt', content: 'R new', base: null },
    ]);
    const stopped = await applySession(context(['quit']).ctx, 'S');
    expect(stopped.finished).toBe(false);
    // Not a success: the binary exits with it (status 9), its sentence said once, on stderr.
    expect(stopped.quit).toMatchObject({
      code: 'QUIT',
      message: 'Quit at the prompt: nothing of session S was applied (2 left) — run zync-apply apply S again to continue.',
    });
    expect(stopped.summary).toBe('');
    expect(staging.getSession('S')?.status).toBe('complete');
  });

  it('stopped (Ctrl-C) while E is looked at or staged content hashed: stops before the first entry, refusing nothing', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [
      { path: 'both.txt', content: 'R edit', base: 'base' },
      { path: 'new.txt', content: 'R new', base: null },
    ]);
    // Cut short: a session that would be refused as damaged, were it hashed to the end.
    await writeFile(nodePath.join(stateDir, 'zync-staging/S/2.blob'), 'R n');
    const stop = new AbortController();
    stop.abort('SIGINT');
    const stopped = await applySession({ ...context(null).ctx, stop: stop.signal }, 'S');
    expect(stopped.finished).toBe(false);
    expect(stopped.quit?.message).toBe('Stopped by SIGINT: nothing of session S was applied (2 left) — run zync-apply apply S again to continue.');
    expect(await read('both.txt')).toBe('E edit');
    expect(existsSync(nodePath.join(root, 'new.txt'))).toBe(false);
    expect(staging.getSession('S')?.status).toBe('complete');
  });

  it('quit keeps what was applied; the next run resumes at the conflict', async () => {
    await writeFile(nodePath.join(root, 'clean.txt'), 'base');
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [
      { path: 'clean.txt', content: 'R clean', base: 'base' },
      { path: 'both.txt', content: 'R edit', base: 'base' },
    ]);
    const first = context(['quit']);
    const stopped = await applySession(first.ctx, 'S');
    expect(stopped.finished).toBe(false);
    expect(stopped.quit?.code).toBe('QUIT');
    expect(stopped.quit?.message).toMatch(/partly applied .*1 left.* — run zync-apply apply S again to continue\.$/);
    expect(first.printed.join('\n')).toContain('-E edit');
    expect(await read('clean.txt')).toBe('R clean');
    expect(await read('both.txt')).toBe('E edit');
    expect(staging.getSession('S')?.status).toBe('complete');

    const second = context(['diff', 'upstream']);
    const done = await applySession(second.ctx, 'S');
    expect(done.finished).toBe(true);
    expect(done.quit).toBeNull();
    expect(second.asked.map((q) => q.what)).toEqual(['docs/both.txt', 'docs/both.txt']);
    expect(second.printed.filter((t) => t.includes('-E edit'))).toHaveLength(2); // shown again on request
    expect(await read('both.txt')).toBe('R edit');
    expect(changesFor('clean.txt')).toHaveLength(1);
  });

  it('keep both writes upstream as a conflict copy and leaves E’s file', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [{ path: 'both.txt', content: 'R edit', base: 'base' }]);
    const { ctx } = context(['keep_both']);
    const outcome = await applySession(ctx, 'S');
    expect(outcome.tally).toMatchObject({ kept_both: 1 });
    expect(await read('both.txt')).toBe('E edit');
    const names = await readdir(root);
    const copy = names.find((n) => /^both\.zync-conflict-\d{8}-\d{6}-upstream\.txt$/.test(n));
    expect(copy).toBeDefined();
    expect(await read(copy!)).toBe('R edit');
    expect(outcome.summary).toContain(copy!);
    expect(staging.getEntry('S', 'docs', 'both.txt')).toMatchObject({ resolution: 'kept_both' });
  });

  it('keep both does not write over a file E makes at the conflict copy’s name meanwhile', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [{ path: 'both.txt', content: 'R edit', base: 'base' }]);
    let made: string | null = null;
    // The copy's temp file is fsynced after its name was found free: E makes a file of that name.
    fsLog.beforeSync = async (path) => {
      const temp = /\/\.zync-tmp-(both\.zync-conflict-.*\.txt)-[0-9a-f]{12}$/.exec(path);
      if (!temp) return;
      fsLog.beforeSync = null;
      made = temp[1]!;
      await writeFile(nodePath.join(root, made), 'E made this meanwhile');
    };
    let outcome;
    try {
      outcome = await applySession(context(['keep_both', 'keep_both']).ctx, 'S');
    } finally {
      fsLog.beforeSync = null;
    }
    expect(made).not.toBeNull();
    expect(await read(made!)).toBe('E made this meanwhile');
    expect(await read('both.txt')).toBe('E edit');
    // Asked again, R's content went to the next free name.
    expect(outcome.tally).toMatchObject({ kept_both: 1 });
    const copy = staging.getEntry('S', 'docs', 'both.txt')?.copy_path;
    expect(copy).toMatch(/^docs\/both\.zync-conflict-.*\.txt$/);
    expect(copy).not.toBe(`docs/${made!}`);
    expect(await read(copy!.slice('docs/'.length))).toBe('R edit');
  });

  it('names a path with control characters in escapes when it shows, asks and summarises', async () => {
    const name = 'b\u009b2K\u202eb.txt'; // C1 CSI and a right-to-left override: legal in a Linux name
    await writeFile(nodePath.join(root, name), 'E edit');
    await stage('S', [{ path: name, content: 'R edit', base: 'base' }]);
    const { ctx, printed, asked } = context(['keep_both']);
    const outcome = await applySession(ctx, 'S');
    expect(asked[0]?.what).toBe('docs/b\\x9b2K\\u202eb.txt');
    const shown = [...printed, outcome.summary].join('\n');
    expect(shown).toContain('Conflict 1 of 1: docs/b\\x9b2K\\u202eb.txt');
    expect(shown).toContain('+++ upstream: docs/b\\x9b2K\\u202eb.txt');
    expect(shown).not.toMatch(/[\u009b\u202e]/);
  });

  it('a file E deleted that R edited says so, and taking R’s version re-creates it with nothing to back up', async () => {
    await stage('S', [{ path: 'gone.txt', content: 'R edit', base: 'base' }]);
    const { ctx, printed, asked } = context(['upstream']);
    const outcome = await applySession(ctx, 'S');
    expect(printed.join('\n')).toContain('Conflict 1 of 1: docs/gone.txt — R modified it; E deleted it.');
    expect(asked[0]?.decisions).toEqual(['upstream', 'keep_e']);
    expect(asked[0]?.labels.upstream).toBe("take upstream: R's version re-creates the file (E has nothing to back up)");
    expect(await read('gone.txt')).toBe('R edit');
    expect(outcome.tally).toMatchObject({ written: 1 });
    expect(outcome.summary).not.toContain('backed up');
  });

  it('keep E’s resolves the entry without touching E', async () => {
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [{ path: 'both.txt', content: null, base: 'base' }]);
    const { ctx, asked } = context(['keep_e']);
    const outcome = await applySession(ctx, 'S');
    expect(asked[0]?.decisions).toEqual(['upstream', 'keep_e']);
    expect(outcome.tally).toMatchObject({ kept_e: 1 });
    expect(await read('both.txt')).toBe('E edit');
    expect(staging.getSession('S')?.status).toBe('applied');
  });

  it('logs E’s files kept over R’s (keep E’s, keep both) again with the session’s completion, and only then', async () => {
    for (const name of ['e.txt', 'b.txt']) {
      await writeFile(nodePath.join(root, name), 'E chmod', { mode: 0o755 });
      const info = await stat(nodePath.join(root, name));
      daemon.applyChanges([{ operation: 'add', kind: 'file', base_dir: 'docs', path: name, checksum: sha256('E chmod'), size: info.size, mtime: info.mtimeMs, mode: 0o755, ino: info.ino }], 1);
    }
    // E's content is the base R edited; E chmodded it (755) and R too (700): a conflict on the bits.
    const specs = ['e.txt', 'b.txt'].map((path) => ({ path, content: 'R edit', base: 'E chmod', mode: 0o700 }));
    await stage('S', specs);
    daemon.db.prepare(`UPDATE staging_entries SET base_mode = ? WHERE staging_id = 'S'`).run(0o644);
    const quitting = context(['keep_e', 'quit']);
    expect((await applySession(quitting.ctx, 'S')).finished).toBe(false);
    // Resolved but the session not applied: R, asking, would take its edit as waiting still.
    expect(changesFor('e.txt')).toHaveLength(1);
    const { ctx } = context(['keep_both']);
    const outcome = await applySession(ctx, 'S');
    expect(outcome.tally).toMatchObject({ kept_both: 1 });
    expect(staging.getSession('S')?.status).toBe('applied');
    for (const name of ['e.txt', 'b.txt']) {
      expect(await read(name)).toBe('E chmod');
      const logged = daemon.changesSince(0, 1000).changes.filter((c) => c.path === name);
      expect(logged).toHaveLength(2);
      expect(logged.at(-1)).toMatchObject({ operation: 'modify', checksum: sha256('E chmod'), mode: 0o755 });
    }
  });

  it('without anyone to ask, a conflict refuses the session before anything changes', async () => {
    await writeFile(nodePath.join(root, 'clean.txt'), 'base');
    await writeFile(nodePath.join(root, 'both.txt'), 'E edit');
    await stage('S', [
      { path: 'clean.txt', content: 'R clean', base: 'base' },
      { path: 'both.txt', content: 'R edit', base: 'base' },
    ]);
    await expect(applySession(context(null).ctx, 'S')).rejects.toMatchObject({ code: 'SESSION_NOT_APPLIABLE' });
    expect(await read('clean.txt')).toBe('base');
    expect(daemon.lastSequence()).toBe(0);
  });

  it('makes directories R made and removes those R removed, keeping a directory that is not empty', async () => {
    await mkdir(nodePath.join(root, 'old/sub'), { recursive: true });
    await writeFile(nodePath.join(root, 'old/sub/x.txt'), 'x');
    await mkdir(nodePath.join(root, 'busy'));
    await writeFile(nodePath.join(root, 'busy/e-only.txt'), 'E made this after R synced');
    await stage('S', [
      { path: 'old', content: null, base: null, dir: true },
      { path: 'old/sub', content: null, base: null, dir: true },
      { path: 'old/sub/x.txt', content: null, base: 'x' },
      { path: 'new/empty', content: '', base: null, dir: true },
      { path: 'new', content: '', base: null, dir: true },
      { path: 'busy', content: null, base: null, dir: true },
    ]);
    const outcome = await applySession(context(null).ctx, 'S');
    expect(outcome.finished).toBe(true);
    expect(outcome.tally).toMatchObject({ deleted: 1, dirs_created: 2, dirs_removed: 2, kept_e: 1 });
    expect(await readdir(root)).toEqual(expect.arrayContaining(['new', 'busy']));
    expect(await readdir(root)).not.toContain('old');
    expect(await readdir(nodePath.join(root, 'new'))).toEqual(['empty']);
    expect(await read('busy/e-only.txt')).toBe('E made this after R synced');
    expect(outcome.summary).toContain("Kept E's directory docs/busy (R removed it)");
    expect(changesFor('new/empty')).toEqual([['add', null]]);
    // Logged although unchanged: R receives it again, and its removal there is superseded.
    expect(changesFor('busy')).toEqual([['add', null]]);
  });

  it('a symbolic link E puts where R’s directory goes, while the person decides, is neither followed nor chmodded', async () => {
    // R replaced the file it had received with a (read-only) directory; E deleted the file: a conflict.
    await stage('S', [{ path: 'thing', content: '', base: 'a file R had received', dir: true, mode: 0o555 }]);
    const outside = nodePath.join(work, 'outside');
    await mkdir(outside, { mode: 0o700 });
    await chmod(outside, 0o700);
    const { ctx, asked } = context(['upstream', 'keep_e']);
    const ask = ctx.ask!;
    ctx.ask = async (q) => {
      if (asked.length === 0) await symlink(outside, nodePath.join(root, 'thing')); // made during the first prompt
      return ask(q);
    };
    const outcome = await applySession(ctx, 'S');
    expect((await stat(outside)).mode & 0o7777).toBe(0o700);
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(nodePath.join(root, 'thing'))).isSymbolicLink()).toBe(true);
    // Looked at again: the link is a conflict only E's version resolves.
    expect(asked.map((q) => q.decisions)).toEqual([['upstream', 'keep_e'], ['keep_e']]);
    expect(outcome.finished).toBe(true);
    expect(outcome.tally).toMatchObject({ kept_e: 1, dirs_created: 0 });
  });

  it('a symbolic link E puts where R’s file goes, while the person decides, is looked at again, not a failed run', async () => {
    await stage('S', [
      { path: 'x.txt', content: 'R edit', base: 'base' }, // E deleted it: a conflict
      { path: 'after.txt', content: 'R after', base: null },
    ]);
    const outside = nodePath.join(work, 'outside.txt');
    await writeFile(outside, 'not E’s to change');
    const { ctx, asked } = context(['upstream', 'keep_e']);
    const ask = ctx.ask!;
    ctx.ask = async (q) => {
      if (asked.length === 0) await symlink(outside, nodePath.join(root, 'x.txt')); // made during the first prompt
      return ask(q);
    };
    const outcome = await applySession(ctx, 'S');
    expect(await readFile(outside, 'utf8')).toBe('not E’s to change');
    expect((await lstat(nodePath.join(root, 'x.txt'))).isSymbolicLink()).toBe(true);
    expect(asked.map((q) => q.decisions)).toEqual([['upstream', 'keep_e'], ['keep_e']]);
    expect(outcome.finished).toBe(true);
    expect(await read('after.txt')).toBe('R after');
  });

  it('a directory R made where E has a file is a conflict; taking upstream backs the file up', async () => {
    await writeFile(nodePath.join(root, 'thing'), 'a file on E');
    await stage('S', [{ path: 'thing', content: '', base: null, dir: true }]);
    const { ctx, printed, asked } = context(['upstream']);
    await applySession(ctx, 'S');
    expect(asked[0]?.decisions).toEqual(['upstream', 'keep_e']);
    expect(printed.join('\n')).toMatch(/E holds a file \(11 B, sha256 [0-9a-f]{16}…\) here; R made a directory here\./);
    expect(await readdir(nodePath.join(root, 'thing'))).toEqual([]);
    expect(await readFile(nodePath.join(stateDir, 'zync-backups/S/docs/thing'), 'utf8')).toBe('a file on E');
  });

  it('refuses a session whose base dir the mapping does not include', async () => {
    await stage('S', [{ path: 'x.txt', content: 'x', base: null }]);
    const { ctx } = context(null);
    await expect(applySession({ ...ctx, dirs: [{ name: 'other', root }] }, 'S')).rejects.toMatchObject({ code: 'UNKNOWN_BASE_DIR' });
  });
});
