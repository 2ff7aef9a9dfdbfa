// applyBatch on real temp directories with a scripted connection: the re-checks before each
// rename and delete keep R's edits that land after planning, a local copy whose source changed
// falls back to a download, failed transfers leave no temp file and hold their sequence back.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { appendFile, chmod, link, mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_FILE_BYTES, ZyncError, createLogger, sha256, type ChangeEntry, type GetFileHeader } from '@zync/common';
import { applyBatch, interleaveByDir, type BatchOptions, type PartialDownloads, type RecordLookup } from './apply-batch.js';
import type { PullAction } from './core/plan-pull.js';
import type { FetchedFile, FileSink, FileTransfer } from './connection.js';
import { entryKeyString, type PartialDownload, type RecordedEntry } from './core/types.js';
import { HoldingArea } from './holding-area.js';
import { LocalTree } from './local-tree.js';

// open() passes through; a test may make it act on R's behalf while a file is being flushed.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open) };
});

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const logger = createLogger('apply-batch-test', 'silent');

function makeRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-apply-batch-'));
  roots.push(root);
  return root;
}

const fileEntry = (sequence: number, p: string, content: string, operation: ChangeEntry['operation'] = 'modify'): ChangeEntry => ({
  sequence,
  operation,
  kind: 'file',
  base_dir: 'docs',
  path: p,
  checksum: operation === 'delete' ? null : sha256(content),
  size: operation === 'delete' ? 0 : Buffer.byteLength(content),
  mtime: 1_700_000_000_000,
  mode: 0o644,
  timestamp: 1_700_000_000_000,
});

/** An entry too large for GET_FILES: fetched with GET_FILE (content need not match its size). */
const streamedEntry = (sequence: number, p: string, content: string): ChangeEntry => ({
  ...fileEntry(sequence, p, content, 'add'),
  size: MAX_BATCH_FILE_BYTES + 1,
});

/**
 * Serves `files` through GET_FILE and GET_FILES; `during` runs before the content is delivered
 * (R acting meanwhile); `fail` answers a path with an error instead.
 */
function scriptedConnection(files: Record<string, string>, during?: (p: string) => Promise<void>, fail?: Record<string, ZyncError>) {
  const requested: string[] = [];
  return {
    requested,
    connection: {
      async getFile(baseDir: string, p: string, sink: FileSink): Promise<FileTransfer> {
        requested.push(p);
        if (fail?.[p]) {
          const header: GetFileHeader = { id: 1, status: 'ok', operation: 'GET_FILE', checksum: sha256('partial!'), size: 8, mtime: 1, mode: 0o644 };
          await sink.open(header);
          await sink.write(Buffer.from('part'));
          throw fail[p];
        }
        const content = Buffer.from(files[p]!);
        const checksum = sha256(content);
        const header: GetFileHeader = { id: 1, status: 'ok', operation: 'GET_FILE', checksum, size: content.length, mtime: 1_700_000_000_000, mode: 0o644 };
        await sink.open(header);
        await during?.(p);
        await sink.write(content);
        return { header, trailer: { id: 1, status: 'ok', operation: 'FILE_END', checksum, size: content.length } };
      },
      async getFiles(_baseDir: string, paths: readonly string[]): Promise<FetchedFile[]> {
        const out: FetchedFile[] = [];
        for (const p of paths) {
          requested.push(p);
          const failure = fail?.[p];
          if (failure) {
            out.push({ path: p, status: 'error', code: failure.code, error: failure.message });
            continue;
          }
          await during?.(p);
          const content = Buffer.from(files[p]!);
          out.push({ path: p, status: 'ok', checksum: sha256(content), size: content.length, mtime: 1_700_000_000_000, mode: 0o644, content });
        }
        return out;
      },
    },
  };
}

/** Records R "received" for files already on disk, with their real stat. */
async function recordsFor(root: string, files: Record<string, string>): Promise<RecordLookup & { map: Map<string, RecordedEntry> }> {
  const map = new Map<string, RecordedEntry>();
  for (const [p, content] of Object.entries(files)) {
    const abs = path.join(root, p);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
    const info = await stat(abs);
    map.set(p, {
      base_dir: 'docs', path: p, kind: 'file', checksum: sha256(content), size: info.size, mtime: info.mtimeMs, mode: 0o644,
      local_size: info.size, local_mtime: info.mtimeMs, local_ino: info.ino, sequence: 1, seen_gen: 1,
    });
  }
  return {
    map,
    getEntry: (_b, p) => map.get(p),
    getEntries: (keys) => new Map(keys.flatMap((k) => (map.has(k.path) ? [[entryKeyString(k), map.get(k.path)!] as const] : []))),
    findByChecksums: (checksums) => new Map(checksums.map((c) => [c, [...map.values()].filter((e) => e.checksum === c)])),
    placements: () => new Map(),
  };
}

/** Kept partial downloads, in memory (the client store keeps them in SQLite). */
function memoryPartials(): PartialDownloads {
  const rows = new Map<string, PartialDownload>();
  return {
    partials: () => [...rows.values()],
    getPartial: (b, p) => rows.get(`${b}\0${p}`),
    putPartial: (row) => void rows.set(`${row.base_dir}\0${row.path}`, row),
    dropPartial: (b, p) => void rows.delete(`${b}\0${p}`),
  };
}

function options(root: string, connection: BatchOptions['connection'], records: RecordLookup): BatchOptions {
  return {
    connection,
    tree: new LocalTree([{ name: 'docs', root }], { noteOpenedDirs: () => undefined, dropOpenedDirs: () => undefined }),
    records,
    partials: memoryPartials(),
    daemonDirs: new Set(['docs']),
    generation: 1,
    logger,
    maxDownloads: 8,
    now: () => new Date(Date.UTC(2026, 10, 22, 18, 47, 0)),
  };
}

const names = async (dir: string) => (await readdir(dir)).sort();

describe('applyBatch', () => {
  it('keeps an edit R makes while the download runs, as a conflict copy', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'a.txt': 'received\n' });
    const { connection } = scriptedConnection({ 'a.txt': "E's new\n" }, async () => {
      await writeFile(path.join(root, 'a.txt'), 'R typed this meanwhile\n');
    });
    const result = await applyBatch([fileEntry(5, 'a.txt', "E's new\n")], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(await readFile(path.join(root, 'a.txt'), 'utf8')).toBe("E's new\n");
    expect(result.conflicts).toEqual([{ base_dir: 'docs', path: 'a.txt', copy: 'a.zync-conflict-20261122-184700-R.txt', reason: 'E modified it' }]);
    expect(await readFile(path.join(root, 'a.zync-conflict-20261122-184700-R.txt'), 'utf8')).toBe('R typed this meanwhile\n');
  });

  it.each([
    { name: 'streamed (GET_FILE)', entry: (content: string) => streamedEntry(5, 'a.txt', content) },
    { name: 'batched (GET_FILES)', entry: (content: string) => fileEntry(5, 'a.txt', content) },
  ])('keeps an edit R makes while the download runs that keeps size and mtime (only the ctime moves): $name', async ({ entry }) => {
    const root = makeRoot();
    const target = path.join(root, 'a.txt');
    const records = await recordsFor(root, { 'a.txt': 'received\n' });
    // A whole-second mtime, which utimes can put back exactly (as `touch -r` does any mtime).
    await utimes(target, 1_600_000_000, 1_600_000_000);
    records.map.set('a.txt', { ...records.map.get('a.txt')!, local_mtime: (await stat(target)).mtimeMs });
    const { connection } = scriptedConnection({ 'a.txt': "E's new\n" }, async () => {
      // Same length, then the mtime put back (`touch -r`, `cp -p`, rsync -t): size, mtime and inode as planned on.
      const before = await stat(target);
      await writeFile(target, 'R edited\n');
      await utimes(target, before.atime, before.mtime);
    });
    const result = await applyBatch([entry("E's new\n")], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(await readFile(target, 'utf8')).toBe("E's new\n");
    expect(result.conflicts.map((c) => c.copy)).toEqual(['a.zync-conflict-20261122-184700-R.txt']);
    expect(await readFile(path.join(root, 'a.zync-conflict-20261122-184700-R.txt'), 'utf8')).toBe('R edited\n');
  });

  it.each([
    { name: 'streamed (GET_FILE)', entry: () => streamedEntry(5, 'n.txt', 'from E\n') },
    { name: 'batched (GET_FILES)', entry: () => fileEntry(5, 'n.txt', 'from E\n', 'add') },
  ])('keeps a file R creates at a new path while it downloads: $name', async ({ entry }) => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'n.txt': 'from E\n' }, async () => {
      await writeFile(path.join(root, 'n.txt'), 'R made this\n');
    });
    const result = await applyBatch([entry()], options(root, connection, records));
    expect(result.conflicts.map((c) => c.copy)).toEqual(['n.zync-conflict-20261122-184700-R.txt']);
    expect(await readFile(path.join(root, 'n.txt'), 'utf8')).toBe('from E\n');
    expect(await readFile(path.join(root, 'n.zync-conflict-20261122-184700-R.txt'), 'utf8')).toBe('R made this\n');
    expect(await names(root)).toEqual(['n.txt', 'n.zync-conflict-20261122-184700-R.txt']);
  });

  it('keeps a symbolic link R makes at a new path while it downloads, even one that points nowhere', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'n.txt': 'from E\n' }, async () => {
      await symlink('nowhere', path.join(root, 'n.txt'));
    });
    const result = await applyBatch([fileEntry(5, 'n.txt', 'from E\n', 'add')], options(root, connection, records));
    expect(result.conflicts.map((c) => c.copy)).toEqual(['n.zync-conflict-20261122-184700-R.txt']);
    expect(await readFile(path.join(root, 'n.txt'), 'utf8')).toBe('from E\n');
    expect(await readlink(path.join(root, 'n.zync-conflict-20261122-184700-R.txt'))).toBe('nowhere');
  });

  it('puts a new file in place with one link and no temp file left', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'n.txt': 'from E\n', 's.txt': 'streamed\n' });
    const result = await applyBatch(
      [fileEntry(5, 'n.txt', 'from E\n', 'add'), streamedEntry(6, 's.txt', 'streamed\n')],
      options(root, connection, records),
    );
    expect(result.failed).toEqual([]);
    expect(await names(root)).toEqual(['n.txt', 's.txt']);
    for (const name of ['n.txt', 's.txt']) {
      const info = await stat(path.join(root, name));
      expect(info.nlink).toBe(1);
      expect(result.upserts.find((u) => u.path === name)?.local_ino).toBe(info.ino);
    }
  });

  it('fails only the entry the planner refuses; the rest of the batch is applied', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'good.txt': 'from E\n' });
    const refused = { ...fileEntry(5, 'bad.txt', 'x', 'add'), checksum: null };
    const result = await applyBatch([refused, fileEntry(6, 'good.txt', 'from E\n', 'add')], options(root, connection, records));
    expect(result.failed.map((f) => [f.path, f.code])).toEqual([['bad.txt', 'INTERNAL']]);
    expect(result.upserts.map((u) => u.path)).toEqual(['good.txt']);
    expect(await readFile(path.join(root, 'good.txt'), 'utf8')).toBe('from E\n');
  });

  it('copies content R holds under another name instead of downloading, and downloads when that copy changed', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'old.txt': 'same bytes\n', 'stale.txt': 'was this\n' });
    await writeFile(path.join(root, 'stale.txt'), 'R changed the source\n');
    const { connection, requested } = scriptedConnection({ 'copy-of-stale.txt': 'was this\n' });
    const result = await applyBatch(
      [fileEntry(5, 'new.txt', 'same bytes\n', 'add'), fileEntry(6, 'copy-of-stale.txt', 'was this\n', 'add')],
      options(root, connection, records),
    );
    expect(result.failed).toEqual([]);
    expect(result.stats).toMatchObject({ copied: 1, downloaded: 1 });
    expect(requested).toEqual(['copy-of-stale.txt']);
    expect(await readFile(path.join(root, 'new.txt'), 'utf8')).toBe('same bytes\n');
    expect(await readFile(path.join(root, 'copy-of-stale.txt'), 'utf8')).toBe('was this\n');
  });

  it('downloads instead when a copy\'s source was rewritten with its size and mtime kept: E\'s checksum is checked', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'old.txt': 'same bytes\n' });
    const before = await stat(path.join(root, 'old.txt'));
    await writeFile(path.join(root, 'old.txt'), 'SAME BYTES\n');
    await utimes(path.join(root, 'old.txt'), before.atime, before.mtime);
    const { connection, requested } = scriptedConnection({ 'new.txt': 'same bytes\n' });
    const result = await applyBatch([fileEntry(5, 'new.txt', 'same bytes\n', 'add')], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(result.stats).toMatchObject({ copied: 0, downloaded: 1 });
    expect(requested).toEqual(['new.txt']);
    expect(await readFile(path.join(root, 'new.txt'), 'utf8')).toBe('same bytes\n');
    expect((await readdir(root)).sort()).toEqual(['new.txt', 'old.txt']);
  });

  it('copies many small files in one pass, each in place with E\'s mode and mtime, and no temp file left', async () => {
    const root = makeRoot();
    const contents = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`a/f${i}.txt`, `content ${i}\n`.repeat(1 + (i % 7))]));
    const records = await recordsFor(root, contents);
    const { connection, requested } = scriptedConnection({});
    const entries = Object.entries(contents).map(([p, content], i) => ({ ...fileEntry(10 + i, p.replace('a/', 'b/'), content, 'add'), mode: i % 2 ? 0o755 : 0o644 }));
    const result = await applyBatch(entries, options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(result.stats).toMatchObject({ copied: 300, downloaded: 0 });
    expect(requested).toEqual([]);
    for (const [i, entry] of entries.entries()) {
      const abs = path.join(root, entry.path);
      expect(await readFile(abs, 'utf8')).toBe(contents[`a/f${i}.txt`]);
      const info = await stat(abs);
      expect([info.mode & 0o777, info.mtimeMs]).toEqual([entry.mode, entry.mtime]);
    }
    expect((await readdir(path.join(root, 'b'))).length).toBe(300);
  });

  it('keeps R\'s edit instead of deleting when the file changed after planning', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'gone.txt': 'received\n', 'edited.txt': 'received\n' });
    await writeFile(path.join(root, 'edited.txt'), 'R edited\n');
    const { connection } = scriptedConnection({});
    const result = await applyBatch(
      [fileEntry(5, 'gone.txt', '', 'delete'), fileEntry(6, 'edited.txt', '', 'delete')],
      options(root, connection, records),
    );
    expect(await names(root)).toEqual(['edited.zync-conflict-20261122-184700-R.txt']);
    expect(result.removals.map((r) => r.path).sort()).toEqual(['edited.txt', 'gone.txt']);
    expect(result.stats.deleted).toBe(1);
  });

  // A FUSE root (bindfs, exfat-fuse, ntfs-3g) shows for up to a second after zync placed a file
  // the ctime its kernel set at the link, then the backing file system's: the plan's stat and the
  // last-moment one differ by the ctime alone, both within the bound recorded after zync's write.
  // Stood in for by a chmod to the same bits while the batch runs, with the record's bound after it.
  it.each([
    { name: 'E modified it, the ctime moved within the bound recorded after R\'s write: replaced', op: 'modify', within: true, copies: [] },
    { name: 'E deleted it, the ctime moved within the bound: deleted', op: 'delete', within: true, copies: [] },
    { name: 'E modified it, the ctime moved past the bound (a change on R since): kept as a copy', op: 'modify', within: false, copies: ['a.zync-conflict-20261122-184700-R.txt'] },
    { name: 'E deleted it, the ctime moved past the bound: kept as a copy', op: 'delete', within: false, copies: ['a.zync-conflict-20261122-184700-R.txt'] },
  ] as const)('last-moment checks: $name', async ({ op, within, copies }) => {
    const root = makeRoot();
    const target = path.join(root, 'a.txt');
    const records = await recordsFor(root, { 'a.txt': 'received\n' });
    const planned = (await stat(target)).ctimeMs;
    records.map.set('a.txt', { ...records.map.get('a.txt')!, local_ctime_max: within ? Date.now() + 60_000 : planned });
    // E's new a.txt, or a file E added that is fetched before the deletions run.
    const { connection } = scriptedConnection({ 'a.txt': "E's new\n", 'b.txt': 'from E\n' }, async () => {
      await chmod(target, 0o644);
      expect((await stat(target)).ctimeMs).toBeGreaterThan(planned);
    });
    const entries = op === 'modify' ? [fileEntry(5, 'a.txt', "E's new\n")] : [fileEntry(5, 'b.txt', 'from E\n', 'add'), fileEntry(6, 'a.txt', '', 'delete')];
    const result = await applyBatch(entries, options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(result.conflicts.map((c) => c.copy)).toEqual(copies);
    const left = (op === 'modify' ? ['a.txt'] : ['b.txt']).concat(copies);
    expect(await names(root)).toEqual(left.sort());
    if (op === 'modify') expect(await readFile(target, 'utf8')).toBe("E's new\n");
  });

  it.each([
    { name: 'streamed (GET_FILE)', bad: (seq: number) => streamedEntry(seq, 'bad.txt', 'whatever') },
    { name: 'batched (GET_FILES)', bad: (seq: number) => fileEntry(seq, 'bad.txt', 'whatever', 'add') },
  ])('leaves no temp file after a failed transfer and reports its sequence as failed: $name', async ({ bad }) => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'ok.txt': 'fine\n' }, undefined, {
      'bad.txt': new ZyncError('FILE_CHANGED', 'The file changed while it was read.'),
    });
    const result = await applyBatch([bad(5), fileEntry(6, 'ok.txt', 'fine\n', 'add')], options(root, connection, records));
    expect(result.failed.map((f) => [f.sequence, f.code])).toEqual([[5, 'FILE_CHANGED']]);
    expect(await names(root)).toEqual(['ok.txt']);
  });

  // What the daemon answers between a .zyncignore edit and the rescan that marks the paths it
  // excludes (daemon: server/rules-changed-window.test.ts): R keeps its file as it is, its edit
  // included, with no conflict copy and no warning, and the sequence is acknowledged.
  it.each([
    { name: 'streamed (GET_FILE)', entry: () => streamedEntry(5, 'a.log', "E's new\n") },
    { name: 'batched (GET_FILES)', entry: () => fileEntry(5, 'a.log', "E's new\n") },
  ])('a file the daemon answers NOT_FOUND for is skipped, R’s edit kept in place: $name', async ({ entry }) => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'a.log': 'received\n' });
    await writeFile(path.join(root, 'a.log'), 'R edited\n');
    const { connection } = scriptedConnection({}, undefined, { 'a.log': new ZyncError('NOT_FOUND', 'docs/a.log is not a file in the log.') });
    const result = await applyBatch([entry()], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(result.skipped.map((s) => [s.sequence, s.code])).toEqual([[5, 'NOT_FOUND']]);
    expect(result.conflicts).toEqual([]);
    expect(await names(root)).toEqual(['a.log']);
    expect(await readFile(path.join(root, 'a.log'), 'utf8')).toBe('R edited\n');
    // Its record kept as it was, the notes of what a killed run may have placed there with it.
    expect(result.upserts).toEqual([]);
    expect(result.confirmed).toEqual([expect.objectContaining({ path: 'a.log', checksum: sha256('received\n') })]);
    expect(result.unserved).toEqual([{ base_dir: 'docs', path: 'a.log' }]);
  });

  it("does not record an edit R makes while E's new mode is being flushed as E's content", async () => {
    const root = makeRoot();
    const target = path.join(root, 'a.txt');
    const records = await recordsFor(root, { 'a.txt': 'same on both\n' });
    // E chmods the file: R holds E's content already, only the attributes change.
    const entry = { ...fileEntry(5, 'a.txt', 'same on both\n'), mode: 0o755 };
    const realOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
    vi.mocked(open).mockImplementation(async (file, flags, mode) => {
      const handle = await realOpen(file, flags, mode);
      if (file !== target) return handle;
      const sync = handle.sync.bind(handle);
      // R's program appends to the file in place during the fsync.
      handle.sync = async () => {
        await appendFile(target, 'R appended this\n');
        return sync();
      };
      return handle;
    });
    let result;
    try {
      result = await applyBatch([entry], options(root, scriptedConnection({}).connection, records));
    } finally {
      vi.mocked(open).mockImplementation(realOpen);
    }
    // Not recorded as E's version: R's next look sees its edit (and keeps it before E's next change lands).
    expect(result.upserts).toEqual([]);
    expect(result.failed.map((f) => [f.sequence, f.code])).toEqual([[5, 'FILE_CHANGED']]);
    expect(await readFile(target, 'utf8')).toBe('same on both\nR appended this\n');
  });

  it('does not warn about a file E changed while it was read (the retry fetches its newer state), but does about other failures', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({}, undefined, {
      'busy.txt': new ZyncError('FILE_CHANGED', 'busy.txt changed while it was being read; retry later.'),
      'broken.txt': new ZyncError('INTERNAL', 'The daemon failed to answer this request; see its log.'),
    });
    const warnings: string[] = [];
    const spy = createLogger('apply-batch-test', 'debug');
    spy.warn = ((_fields: unknown, message?: string) => void warnings.push(String(message))) as typeof spy.warn;
    spy.debug = (() => undefined) as typeof spy.debug;
    const result = await applyBatch(
      [fileEntry(5, 'busy.txt', 'whatever', 'add'), fileEntry(6, 'broken.txt', 'whatever', 'add')],
      { ...options(root, connection, records), logger: spy },
    );
    expect(result.failed.map((f) => [f.sequence, f.code])).toEqual([[5, 'FILE_CHANGED'], [6, 'INTERNAL']]);
    expect(warnings).toEqual(['could not apply docs/broken.txt (will retry): The daemon failed to answer this request; see its log.']);
  });

  it('warns of a failure once while it lasts: a retry that meets it again says it at debug', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({}, undefined, {
      'broken.txt': new ZyncError('INTERNAL', 'The daemon failed to answer this request; see its log.'),
    });
    const warnings: string[] = [];
    const spy = createLogger('apply-batch-test', 'debug');
    spy.warn = ((_fields: unknown, message?: string) => void warnings.push(String(message))) as typeof spy.warn;
    spy.debug = (() => undefined) as typeof spy.debug;
    const warnedFailures = new Set<string>();
    for (let retry = 0; retry < 3; retry++) {
      const result = await applyBatch([fileEntry(6, 'broken.txt', 'whatever', 'add')], { ...options(root, connection, records), logger: spy, warnedFailures });
      expect(result.failed.map((f) => f.code)).toEqual(['INTERNAL']);
    }
    expect(warnings).toEqual(['could not apply docs/broken.txt (will retry): The daemon failed to answer this request; see its log.']);
  });

  it('a full disk stops fetching the rest of the batch, but deletions still run (they free space) and it is tried once more', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'gone.txt': 'received\n' });
    const { connection, requested } = scriptedConnection({ 'ok.txt': 'fine\n' }, undefined, {
      'big.bin': new ZyncError('DISK_FULL', 'No space left on device while writing big.bin.'),
    });
    const result = await applyBatch(
      [streamedEntry(5, 'big.bin', 'whatever'), streamedEntry(6, 'ok.txt', 'fine\n'), fileEntry(7, 'gone.txt', '', 'delete')],
      { ...options(root, connection, records), maxDownloads: 1 },
    );
    // Once more after the deletion (here still full), not again and again.
    expect(requested).toEqual(['big.bin', 'big.bin']);
    expect(result.failed.map((f) => [f.sequence, f.code])).toEqual([
      [5, 'DISK_FULL'],
      [6, 'DISK_FULL'],
    ]);
    expect(result.removals.map((r) => r.path)).toEqual(['gone.txt']);
    expect(await names(root)).toEqual([]);
  });

  it('a file waiting for room is not fetched, holds its sequence back, and the rest of the batch goes on', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'gone.txt': 'received\n' });
    const { connection, requested } = scriptedConnection({ 'ok.txt': 'fine\n', 'small.txt': 'small\n' });
    const waiting = new ZyncError('DISK_FULL', "Not fetched: it did not fit on R's disk.");
    const asked: string[] = [];
    const result = await applyBatch(
      [streamedEntry(5, 'big.bin', 'whatever'), streamedEntry(6, 'ok.txt', 'fine\n'), fileEntry(7, 'small.txt', 'small\n', 'add'), fileEntry(8, 'gone.txt', '', 'delete')],
      {
        ...options(root, connection, records),
        waitsForRoom: (entry, abs) => {
          asked.push(path.relative(root, abs));
          return entry.path === 'big.bin' ? waiting : null;
        },
      },
    );
    // Asked for each file to fetch, not for the deletion; big.bin never crosses, even after the
    // deletion (which used to try a full disk's failures once more).
    expect(asked.sort()).toEqual(['big.bin', 'ok.txt', 'small.txt']);
    expect(requested.sort()).toEqual(['ok.txt', 'small.txt']);
    expect(result.failed).toEqual([{ base_dir: 'docs', path: 'big.bin', sequence: 5, code: 'DISK_FULL', message: waiting.message, untried: 'waiting-for-room' }]);
    expect(result.upserts.map((u) => u.path).sort()).toEqual(['ok.txt', 'small.txt']);
    expect(result.removals.map((r) => r.path)).toEqual(['gone.txt']);
    expect(await names(root)).toEqual(['ok.txt', 'small.txt']);
  });

  it('a full disk while a GET_FILES answer is written stops writing the rest of it', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection } = scriptedConnection({ 'b.txt': 'b\n', 'c.txt': 'c\n' }, undefined, {
      'a.txt': new ZyncError('DISK_FULL', 'No space left on device while writing a.txt.'),
    });
    const result = await applyBatch(
      [fileEntry(5, 'a.txt', 'a\n', 'add'), fileEntry(6, 'b.txt', 'b\n', 'add'), fileEntry(7, 'c.txt', 'c\n', 'add')],
      options(root, connection, records),
    );
    expect(result.failed.map((f) => [f.sequence, f.code])).toEqual([
      [5, 'DISK_FULL'],
      [6, 'DISK_FULL'],
      [7, 'DISK_FULL'],
    ]);
    expect(await names(root)).toEqual([]);
  });

  it("never writes into a file R made over one a killed run linked into place but had not unlinked the temp name of", async () => {
    // kill -9 between linkIntoPlace's link and its unlink: the kept temp file of a resumable
    // download is the target's inode under a second name. R then writes its own content there.
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const target = path.join(root, 'big.bin');
    const temp = path.join(root, '.zync-tmp-big.bin-000000000001');
    await writeFile(temp, 'from E\n');
    await link(temp, target);
    await writeFile(target, 'R\n'); // shorter than E's: the bytes a resume would continue after
    const entry = streamedEntry(5, 'big.bin', 'from E\n');
    const partials = memoryPartials();
    partials.putPartial({ base_dir: 'docs', path: 'big.bin', checksum: entry.checksum!, size: entry.size, temp_path: temp });
    const { connection } = scriptedConnection({ 'big.bin': 'from E\n' });
    const result = await applyBatch([{ ...entry, checksum: sha256('from E\n') }], { ...options(root, connection, records), partials });
    expect(result.failed).toEqual([]);
    expect(await readFile(target, 'utf8')).toBe('from E\n');
    expect(result.conflicts.map((c) => c.copy)).toEqual(['big.zync-conflict-20261122-184700-R.bin']);
    expect(await readFile(path.join(root, 'big.zync-conflict-20261122-184700-R.bin'), 'utf8')).toBe('R\n');
    expect(await names(root)).toEqual(['big.bin', 'big.zync-conflict-20261122-184700-R.bin']);
    for (const name of await names(root)) expect((await stat(path.join(root, name))).nlink).toBe(1);
    expect(partials.partials()).toEqual([]);
  });

  it('a directory deleted on E goes, with the temp file of a download kept there to resume', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    await mkdir(path.join(root, 'media'));
    const temp = path.join(root, 'media', '.zync-tmp-film.bin-000000000001');
    await writeFile(temp, 'the first bytes');
    const partials = memoryPartials();
    partials.putPartial({ base_dir: 'docs', path: 'media/film.bin', checksum: sha256('x'), size: 100 << 20, temp_path: temp });
    const { connection } = scriptedConnection({});
    const dirGone: ChangeEntry = { ...fileEntry(5, 'media', '', 'delete'), kind: 'dir' };
    const result = await applyBatch([dirGone], { ...options(root, connection, records), partials });
    expect(result.failed).toEqual([]);
    expect(await names(root)).toEqual([]);
    expect(partials.partials()).toEqual([]);
  });

  it("gives directories E's mode once their files are written, and R's mode back to one it opened", async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'ro/old.txt': 'received\n' });
    await chmod(path.join(root, 'ro'), 0o555);
    const modeOf = async (p: string) => (await stat(path.join(root, p))).mode & 0o7777;
    const dirEntry = (sequence: number, p: string, mode: number, operation: ChangeEntry['operation'] = 'add'): ChangeEntry => ({
      ...fileEntry(sequence, p, '', operation), kind: 'dir', checksum: null, size: 0, mode,
    });
    const { connection } = scriptedConnection({ 'locked/in.txt': 'in\n', 'locked/deeper/x.txt': 'x\n', 'ro/new.txt': 'new\n' });
    const result = await applyBatch(
      [
        dirEntry(5, 'locked', 0o500),
        dirEntry(6, 'locked/deeper', 0o000),
        fileEntry(7, 'locked/in.txt', 'in\n', 'add'),
        fileEntry(8, 'locked/deeper/x.txt', 'x\n', 'add'),
        fileEntry(9, 'ro/new.txt', 'new\n', 'add'),
        fileEntry(10, 'ro/old.txt', '', 'delete'),
      ],
      options(root, connection, records),
    );
    expect(result.failed).toEqual([]);
    expect(await modeOf('locked/deeper')).toBe(0o000);
    expect(await modeOf('locked')).toBe(0o500);
    expect(await modeOf('ro')).toBe(0o555); // R's own mode, given back: no entry changed it
    expect(await names(path.join(root, 'ro'))).toEqual(['new.txt']);
    await chmod(path.join(root, 'locked/deeper'), 0o700);
    expect(await readFile(path.join(root, 'locked/deeper/x.txt'), 'utf8')).toBe('x\n');
    expect(result.upserts.filter((u) => u.kind === 'dir').map((u) => [u.path, u.mode])).toEqual([
      ['locked/deeper', 0o000],
      ['locked', 0o500],
    ]);
    expect(result.stats).toMatchObject({ dirsCreated: 2, attributes: 0 });

    // A chmod on E of a directory R has: counted as an attribute change.
    const again = await applyBatch([dirEntry(11, 'locked', 0o750, 'modify')], options(root, connection, records));
    expect(again.failed).toEqual([]);
    expect(await modeOf('locked')).toBe(0o750);
    expect(again.stats.attributes).toBe(1);
  });

  it('notes the directories it opens before the chmods, a depth at a time, and drops the notes at the barrier after their modes are back', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'ro/deep/old.txt': 'received\n', 'other/x.txt': 'x\n' });
    await chmod(path.join(root, 'ro/deep'), 0o500);
    await chmod(path.join(root, 'ro'), 0o555);
    await chmod(path.join(root, 'other'), 0o555);
    const modeOf = async (p: string) => (await stat(path.join(root, p))).mode & 0o7777;
    // Each note with the mode the directory had when it was noted: the one before it was opened.
    const notes = new Map<string, { mode: number; onDisk: number }>();
    const noted: string[][] = [];
    const tree = new LocalTree([{ name: 'docs', root }], {
      noteOpenedDirs: (dirs) => {
        noted.push(dirs.map((dir) => dir.path).sort());
        for (const dir of dirs) notes.set(dir.path, { mode: dir.mode, onDisk: statSync(path.join(root, dir.path)).mode & 0o7777 });
      },
      dropOpenedDirs: (dirs) => dirs.forEach((dir) => notes.delete(dir.path)),
    });
    const { connection } = scriptedConnection({ 'ro/deep/new.txt': 'new\n', 'other/y.txt': 'y\n' });
    const result = await applyBatch(
      [fileEntry(5, 'ro/deep/new.txt', 'new\n', 'add'), fileEntry(6, 'other/y.txt', 'y\n', 'add')],
      { ...options(root, connection, records), tree },
    );
    expect(result.failed).toEqual([]);
    expect(await modeOf('ro')).toBe(0o555);
    expect(await modeOf('ro/deep')).toBe(0o500);
    expect(await modeOf('other')).toBe(0o555);
    expect(noted).toEqual([['other', 'ro'], ['ro/deep']]);
    expect(Object.fromEntries(notes)).toEqual({
      ro: { mode: 0o555, onDisk: 0o555 },
      'ro/deep': { mode: 0o500, onDisk: 0o500 },
      other: { mode: 0o555, onDisk: 0o555 },
    });
    await tree.syncTouchedDirs();
    expect(notes.size).toBe(0);
  });

  it("gives a directory R had removed, made again for E's file inside it, the mode R received for it", async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'private/notes.txt': 'v1\n', 'shared/deep/a.txt': 'v1\n' });
    const dirRecord = (p: string, mode: number): RecordedEntry => ({
      base_dir: 'docs', path: p, kind: 'dir', checksum: null, size: 0, mtime: 1_700_000_000_000, mode,
      local_size: null, local_mtime: null, local_ino: null, sequence: 1, seen_gen: 1,
    });
    records.map.set('private', dirRecord('private', 0o700));
    records.map.set('shared', dirRecord('shared', 0o750));
    records.map.set('shared/deep', dirRecord('shared/deep', 0o751));
    // R removes both directories; E then changes a file in each.
    await rm(path.join(root, 'private'), { recursive: true });
    await rm(path.join(root, 'shared'), { recursive: true });
    const { connection } = scriptedConnection({ 'private/notes.txt': 'v2\n', 'shared/deep/a.txt': 'v2\n' });
    const result = await applyBatch(
      [fileEntry(5, 'private/notes.txt', 'v2\n'), fileEntry(6, 'shared/deep/a.txt', 'v2\n')],
      options(root, connection, records),
    );
    expect(result.failed).toEqual([]);
    const modeOf = async (p: string) => (await stat(path.join(root, p))).mode & 0o7777;
    expect(await modeOf('private')).toBe(0o700);
    expect(await modeOf('shared')).toBe(0o750);
    expect(await modeOf('shared/deep')).toBe(0o751);
    expect(await readFile(path.join(root, 'private/notes.txt'), 'utf8')).toBe('v2\n');
  });

  it('makes such a directory no more open than on E while the batch runs (a kill -9 may end it there)', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'team/big.bin': 'v1\n' });
    records.map.set('team', {
      base_dir: 'docs', path: 'team', kind: 'dir', checksum: null, size: 0, mtime: 1_700_000_000_000, mode: 0o750,
      local_size: null, local_mtime: null, local_ino: null, sequence: 1, seen_gen: 1,
    });
    await rm(path.join(root, 'team'), { recursive: true });
    let during: number | null = null;
    const { connection } = scriptedConnection({ 'team/big.bin': 'v2\n' }, async () => {
      during = (await stat(path.join(root, 'team'))).mode & 0o7777;
    });
    const result = await applyBatch([streamedEntry(5, 'team/big.bin', 'v2\n')], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(during).toBe(0o750);
    expect((await stat(path.join(root, 'team'))).mode & 0o7777).toBe(0o750);
  });

  it('a file E added where R made a directory of its own keeps R\'s directory as a copy, and says so', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    await mkdir(path.join(root, 'notes'));
    await writeFile(path.join(root, 'notes', 'mine.txt'), "R's\n");
    const { connection } = scriptedConnection({ notes: "E's file\n" });
    const result = await applyBatch([fileEntry(5, 'notes', "E's file\n", 'add')], options(root, connection, records));
    expect(result.failed).toEqual([]);
    expect(await readFile(path.join(root, 'notes'), 'utf8')).toBe("E's file\n");
    expect(result.conflicts).toEqual([
      { base_dir: 'docs', path: 'notes', copy: 'notes.zync-conflict-20261122-184700-R', reason: 'E added a file where R made a directory', dir: true },
    ]);
  });

  it('refuses zync temp and conflict copy names from the daemon, and paths in the holding area', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const { connection, requested } = scriptedConnection({});
    const result = await applyBatch(
      [fileEntry(5, '.zync-tmp-x', 'a', 'add'), fileEntry(6, 'r.zync-conflict-20260101-000000-R.txt', 'b', 'add'), fileEntry(7, `.zync-tmp-deleted/${sha256('c')}`, 'c', 'add')],
      options(root, connection, records),
    );
    expect(result.skipped.map((s) => s.code)).toEqual(['UNSAFE_PATH', 'UNSAFE_PATH', 'UNSAFE_PATH']);
    expect(requested).toEqual([]);
  });
});

// E deletes first and creates afterwards (git checkout, npm ci): the deletions come a pass
// before the new files, and what R deleted is held to be copied from.
describe('applyBatch: files held after E deletes them', () => {
  const held = (root: string) => readdir(path.join(root, '.zync-tmp-deleted')).then((n) => n.sort(), () => []);

  it('holds an unchanged file E deletes, and copies a later batch\'s same content from it instead of downloading', async () => {
    const root = makeRoot();
    const files = { 'old/a.txt': 'content a\n', 'old/b.txt': 'content b\n'.repeat(50_000) };
    const records = await recordsFor(root, files);
    const holding = new HoldingArea([{ name: 'docs', root }]);
    const { connection, requested } = scriptedConnection({});
    const deleted = await applyBatch(
      [fileEntry(5, 'old/a.txt', '', 'delete'), fileEntry(6, 'old/b.txt', '', 'delete'), { ...fileEntry(7, 'old', '', 'delete'), kind: 'dir' }],
      { ...options(root, connection, records), holding },
    );
    expect(deleted.failed).toEqual([]);
    expect(deleted.stats).toMatchObject({ deleted: 2, dirsDeleted: 1 });
    expect(await names(root)).toEqual(['.zync-tmp-deleted']);
    expect(await held(root)).toEqual([sha256(files['old/a.txt']), sha256(files['old/b.txt'])].sort());
    records.map.clear(); // the deletions were recorded

    // The small file goes the GET_FILES way, the larger one is streamed: both copy from what is held.
    expect(Buffer.byteLength(files['old/b.txt'])).toBeGreaterThan(MAX_BATCH_FILE_BYTES);
    const added = await applyBatch([fileEntry(8, 'new/a.txt', files['old/a.txt'], 'add'), fileEntry(9, 'new/b.txt', files['old/b.txt'], 'add')], {
      ...options(root, connection, records),
      holding,
    });
    expect(added.failed).toEqual([]);
    expect(added.stats).toMatchObject({ copied: 2, downloaded: 0 });
    expect(requested).toEqual([]);
    expect(await readFile(path.join(root, 'new/a.txt'), 'utf8')).toBe(files['old/a.txt']);
    expect(await readFile(path.join(root, 'new/b.txt'), 'utf8')).toBe(files['old/b.txt']);
    // Emptied whole at a clean stop.
    expect(await holding.empty()).toBe(2);
    expect(await names(root)).toEqual(['new']);
  });

  it('never holds a file R edited (it is kept as a conflict copy), nor deletes without a holding area', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'a.txt': 'received\n', 'b.txt': 'received b\n' });
    await writeFile(path.join(root, 'a.txt'), 'R edited this\n');
    const { connection } = scriptedConnection({});
    const result = await applyBatch([fileEntry(5, 'a.txt', '', 'delete')], { ...options(root, connection, records), holding: new HoldingArea([{ name: 'docs', root }]) });
    expect(result.conflicts.map((c) => c.copy)).toEqual(['a.zync-conflict-20261122-184700-R.txt']);
    expect(await held(root)).toEqual([]);
    const plain = await applyBatch([fileEntry(6, 'b.txt', '', 'delete')], options(root, connection, records));
    expect(plain.stats.deleted).toBe(1);
    expect(await names(root)).toEqual(['a.zync-conflict-20261122-184700-R.txt']);
  });

  it('downloads instead when a held file no longer holds the content its name says', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, {});
    const content = 'what E has\n';
    await mkdir(path.join(root, '.zync-tmp-deleted'));
    await writeFile(path.join(root, '.zync-tmp-deleted', sha256(content)), 'WHAT E HAS\n');
    const { connection, requested } = scriptedConnection({ 'x.txt': content });
    const result = await applyBatch([fileEntry(5, 'x.txt', content, 'add')], { ...options(root, connection, records), holding: new HoldingArea([{ name: 'docs', root }]) });
    expect(result.stats).toMatchObject({ copied: 0, downloaded: 1 });
    expect(requested).toEqual(['x.txt']);
    expect(await readFile(path.join(root, 'x.txt'), 'utf8')).toBe(content);
  });

  it("copies from another root's held file (E moved a file between roots)", async () => {
    const [docs, more] = [makeRoot(), makeRoot()];
    const content = 'moved to another root\n';
    await mkdir(path.join(docs, '.zync-tmp-deleted'));
    await writeFile(path.join(docs, '.zync-tmp-deleted', sha256(content)), content);
    const dirs = [{ name: 'docs', root: docs }, { name: 'more', root: more }];
    const { connection, requested } = scriptedConnection({});
    const result = await applyBatch([{ ...fileEntry(5, 'x.txt', content, 'add'), base_dir: 'more' }], {
      ...options(more, connection, await recordsFor(more, {})),
      tree: new LocalTree(dirs, { noteOpenedDirs: () => undefined, dropOpenedDirs: () => undefined }),
      daemonDirs: new Set(['docs', 'more']),
      holding: new HoldingArea(dirs),
    });
    expect(result.failed).toEqual([]);
    expect(result.stats).toMatchObject({ copied: 1, downloaded: 0 });
    expect(requested).toEqual([]);
    expect(await readFile(path.join(more, 'x.txt'), 'utf8')).toBe(content);
  });

  it('holds nothing beyond its caps: the rest is unlinked as before', async () => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'a.txt': 'one\n', 'b.txt': 'two\n', 'c.txt': 'three\n' });
    const holding = new HoldingArea([{ name: 'docs', root }], { maxAgeMs: 60_000, maxBytes: 1024, maxFiles: 2 });
    const { connection } = scriptedConnection({});
    const result = await applyBatch(['a.txt', 'b.txt', 'c.txt'].map((p, i) => fileEntry(5 + i, p, '', 'delete')), { ...options(root, connection, records), holding });
    expect(result.stats.deleted).toBe(3);
    expect(await names(root)).toEqual(['.zync-tmp-deleted']);
    expect((await held(root)).length).toBe(2);
  });
});

describe('interleaveByDir', () => {
  const action = (p: string) => ({ type: 'fetch', entry: { base_dir: 'w', path: p } }) as unknown as PullAction;
  it.each([
    { name: 'one directory keeps its order', paths: ['a/1', 'a/2', 'a/3'], want: ['a/1', 'a/2', 'a/3'] },
    { name: 'directories take turns, order kept within each', paths: ['a/1', 'a/2', 'a/3', 'b/1', 'c/1', 'c/2'], want: ['a/1', 'b/1', 'c/1', 'a/2', 'c/2', 'a/3'] },
    { name: 'top-level files form their own group', paths: ['x', 'a/1', 'y'], want: ['x', 'a/1', 'y'] },
    { name: 'empty', paths: [], want: [] },
  ])('$name', ({ paths, want }) => {
    expect(interleaveByDir(paths.map(action)).map((a) => a.entry.path)).toEqual(want);
  });
});

describe('applyBatch: E\'s file not placed after R\'s was moved aside', () => {
  /** A tree whose conflict copy is followed by `after` (the root moved away, the temp file gone). */
  function treeThen(root: string, after: () => Promise<void>): LocalTree {
    return new (class extends LocalTree {
      override async keepConflictCopy(...args: Parameters<LocalTree['keepConflictCopy']>): Promise<string> {
        const copy = await super.keepConflictCopy(...args);
        await after();
        return copy;
      }
    })([{ name: 'docs', root }], { noteOpenedDirs: () => undefined, dropOpenedDirs: () => undefined });
  }
  const editDuringDownload = (root: string) =>
    scriptedConnection({ 'a.txt': "E's new\n" }, async () => {
      await writeFile(path.join(root, 'a.txt'), 'R typed this meanwhile\n');
    }).connection;

  it.each([
    { name: 'streamed (GET_FILE)', entry: () => ({ ...streamedEntry(5, 'a.txt', "E's new\n"), operation: 'modify' as const }) },
    { name: 'batched (GET_FILES)', entry: () => fileEntry(5, 'a.txt', "E's new\n") },
  ])('puts R\'s file back where the rename into place failed, and says no conflict: $name', async ({ entry }) => {
    const root = makeRoot();
    const records = await recordsFor(root, { 'a.txt': 'received\n' });
    const dropTemps = async () => {
      for (const name of await readdir(root)) if (name.startsWith('.zync-tmp-')) await rm(path.join(root, name));
    };
    const result = await applyBatch([entry()], { ...options(root, editDuringDownload(root), records), tree: treeThen(root, dropTemps) });
    expect(result.failed.map((f) => f.path)).toEqual(['a.txt']);
    expect(result.conflicts).toEqual([]);
    expect(result.removals).toEqual([]);
    expect(await names(root)).toEqual(['a.txt']);
    expect(await readFile(path.join(root, 'a.txt'), 'utf8')).toBe('R typed this meanwhile\n');
  });

  it('drops the record of the path when R\'s file cannot be put back (the root moved away): not left to read as R\'s deletion', async () => {
    const root = makeRoot();
    const away = `${root}-away`;
    roots.push(away);
    const records = await recordsFor(root, { 'a.txt': 'received\n' });
    const result = await applyBatch([fileEntry(5, 'a.txt', "E's new\n")], { ...options(root, editDuringDownload(root), records), tree: treeThen(root, () => rename(root, away)) });
    expect(result.failed.map((f) => f.path)).toEqual(['a.txt']);
    expect(result.upserts).toEqual([]);
    expect(result.removals).toEqual([{ base_dir: 'docs', path: 'a.txt' }]);
    // The temp file went with the root (a later start removes it there).
    expect((await names(away)).filter((n) => !n.startsWith('.zync-tmp-'))).toEqual(['a.zync-conflict-20261122-184700-R.txt']);
  });
});
