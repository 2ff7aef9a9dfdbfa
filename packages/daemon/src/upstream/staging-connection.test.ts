// Staging through the port exactly as the server drives it (requests, binary frames, close), on a
// real SQLite file and a temp state dir; the socket is replaced by a recorder.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, Request, sha256, type DirSpec, type Logger } from '@zync/common';
import { DaemonStore } from '../store/daemon-store.js';
import type { UpstreamConnection, UpstreamRequest } from '../server/upstream-port.js';
import { createUpstreamPort, DEFAULT_LIMITS, StagingStore } from './index.js';
import { createStagingConnection } from './staging-connection.js';

const log = createLogger('test', 'silent');

/** Paths fsynced, in order, while `events` is set (node:fs/promises' handles, wrapped). */
const fsLog = vi.hoisted(() => ({ events: null as string[] | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, ...rest) => {
    const handle = await fs.open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      await sync();
      fsLog.events?.push(String(path));
    };
    return handle;
  };
  return { ...fs, open, default: { ...fs, open } };
});

interface Sent {
  id?: number | null;
  status?: string;
  code?: string;
  conflict?: boolean;
  e_change?: string;
  staging_id?: string;
  file_count?: number;
  conflict_count?: number;
  error?: string;
}

let work: string;
let root: string;
let store: DaemonStore;
let dirs: DirSpec[];

beforeEach(async () => {
  work = mkdtempSync(nodePath.join(tmpdir(), 'zync-staging-test-'));
  root = nodePath.join(work, 'root');
  await mkdir(nodePath.join(work, 'state'), { recursive: true });
  await mkdir(root);
  store = DaemonStore.open(nodePath.join(work, 'state', 'sync.db'));
  dirs = [{ name: 'docs', root }];
});

afterEach(() => {
  store.close();
  rmSync(work, { recursive: true, force: true });
});

function open(options: { highWaterBytes?: number; maxFileBytes?: number; rootAvailable?: (baseDir: string) => boolean; log?: Logger } = {}) {
  const sent: Sent[] = [];
  const flow = { pauses: 0, resumes: 0 };
  const port = createUpstreamPort({
    store,
    stateDir: nodePath.join(work, 'state'),
    dirs,
    log: options.log ?? log,
    limits: options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes },
    ...(options.highWaterBytes === undefined ? {} : { highWaterBytes: options.highWaterBytes }),
    ...(options.rootAvailable === undefined ? {} : { rootAvailable: options.rootAvailable }),
  });
  const conn: UpstreamConnection = port.openConnection({
    clientId: 'client-1',
    send: (msg) => sent.push(msg as Sent),
    pause: () => flow.pauses++,
    resume: () => flow.resumes++,
    log,
  });
  let nextId = 1;
  const reply = async (id: number): Promise<Sent> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = sent.find((m) => m.id === id);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no answer for request ${id}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const request = (req: Record<string, unknown>) => {
    const id = nextId++;
    // Parsed as the server does (defaults such as kind: 'file' applied).
    conn.handleRequest(Request.parse({ ...req, id }) as UpstreamRequest);
    return id;
  };
  const prepare = async (fileCount: number) => (await reply(request({ operation: 'PREPARE_UPSTREAM', file_count: fileCount }))).staging_id!;
  const upload = (path: string, content: Buffer | null, base: string | null, extra: Record<string, unknown> = {}) => {
    const id = request({
      operation: 'UPSTREAM_FILE',
      base_dir: 'docs',
      path,
      checksum: content ? sha256(content) : null,
      size: content?.length ?? 0,
      base_checksum: base,
      delete: content === null,
      ...extra,
    });
    return id;
  };
  const sendBytes = (id: number, content: Buffer, chunk = 3) => {
    for (let i = 0; i < content.length; i += chunk) conn.handleBinary(id, content.subarray(i, i + chunk));
  };
  const finalize = () => reply(request({ operation: 'FINALIZE_UPSTREAM' }));
  return { port, conn, sent, flow, reply, request, prepare, upload, sendBytes, finalize };
}

const staging = () => new StagingStore(store.db);
const stagingDir = (id: string) => nodePath.join(work, 'state', 'zync-staging', id);

describe('upstream staging', () => {
  it('stages a new file, an edit and a deletion, then completes', async () => {
    const oldText = Buffer.from('old text\n');
    await writeFile(nodePath.join(root, 'edit.txt'), oldText);
    await writeFile(nodePath.join(root, 'gone.txt'), 'bye\n');
    const c = open();
    const id = await c.prepare(3);
    const added = Buffer.from('a brand new file\n');
    const edited = Buffer.from('new text\n');
    const a = c.upload('sub/new.txt', added, null);
    const m = c.upload('edit.txt', edited, sha256(oldText), { mode: 0o755, base_mode: 0o644, mtime: 1234 });
    const d = c.upload('gone.txt', null, sha256('bye\n'));
    c.sendBytes(a, added);
    c.sendBytes(m, edited);
    expect(await c.reply(a)).toMatchObject({ status: 'ok', staging_id: id, conflict: false });
    expect(await c.reply(m)).toMatchObject({ status: 'ok', conflict: false });
    expect(await c.reply(d)).toMatchObject({ status: 'ok', conflict: false });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 3, conflict_count: 0 });

    const session = staging().getSession(id)!;
    expect(session).toMatchObject({ status: 'complete', client_id: 'client-1', file_count: 3, received_count: 3 });
    const entries = staging().listEntries(id);
    expect(entries.map((e) => [e.path, e.operation, e.conflict, e.e_checksum])).toEqual([
      ['sub/new.txt', 'add', false, null],
      ['edit.txt', 'modify', false, sha256(oldText)],
      ['gone.txt', 'delete', false, sha256('bye\n')],
    ]);
    expect(entries[1]).toMatchObject({ mode: 0o755, base_mode: 0o644, mtime: 1234 });
    expect(entries[0]).toMatchObject({ base_mode: null }); // new on R, or sent by an older client
    expect(await readFile(nodePath.join(stagingDir(id), entries[0]!.blob!), 'utf8')).toBe('a brand new file\n');
    // Nothing in E's tree changed.
    expect(await readFile(nodePath.join(root, 'edit.txt'), 'utf8')).toBe('old text\n');
    expect((await readdir(stagingDir(id))).sort()).toEqual(['1.blob', '2.blob']);
  });

  it("stages a file offered with from_e from E's own copy, and answers CONTENT_NEEDED once that copy changed since E recorded it", async () => {
    const content = Buffer.alloc(300 * 1024, 7);
    await writeFile(nodePath.join(root, 'old.bin'), content);
    const held = { operation: 'add' as const, kind: 'file' as const, base_dir: 'docs', checksum: sha256(content), size: content.length, mtime: 1, mode: 0o644 };
    store.recordChanges([{ ...held, path: 'old.bin' }, { ...held, path: 'gone.bin' }]); // gone.bin: recorded, no longer on disk
    const c = open();
    const id = await c.prepare(2);
    const taken = c.upload('new.bin', content, null, { from_e: true });
    expect(await c.reply(taken)).toMatchObject({ status: 'ok', staging_id: id, conflict: false });
    const [entry] = staging().listEntries(id);
    expect((await readFile(nodePath.join(stagingDir(id), entry!.blob!))).equals(content)).toBe(true);
    expect(entry).toMatchObject({ path: 'new.bin', checksum: sha256(content), size: content.length });

    // E's copy changed since it was recorded (same size): its bytes no longer hash to R's content.
    await writeFile(nodePath.join(root, 'old.bin'), Buffer.alloc(content.length, 8));
    const asked = c.upload('other.bin', content, null, { from_e: true });
    expect(await c.reply(asked)).toMatchObject({ status: 'error', code: 'CONTENT_NEEDED' });
    // R then sends the bytes, as for any file.
    const sent = c.upload('other.bin', content, null);
    c.sendBytes(sent, content, 64 * 1024);
    expect(await c.reply(sent)).toMatchObject({ status: 'ok' });
    expect(await c.finalize()).toMatchObject({ status: 'ok', file_count: 2 });
    expect(staging().listEntries(id).map((e) => e.path)).toEqual(['new.bin', 'other.bin']);
    expect((await readdir(stagingDir(id))).filter((n) => !n.endsWith('.blob'))).toEqual([]);
  });

  it('makes the session directory’s own entry durable, up to the state directory, before answering FINALIZE', async () => {
    const c = open();
    const synced: string[] = [];
    fsLog.events = synced;
    try {
      const id = await c.prepare(1);
      const content = Buffer.from('R edit\n');
      const u = c.upload('f.txt', content, null);
      c.sendBytes(u, content);
      expect(await c.reply(u)).toMatchObject({ status: 'ok' });
      const answered = c.finalize();
      expect(await answered).toMatchObject({ status: 'ok', staging_id: id });
      // A power cut after R was told "staged" must not lose the session's directory: R does not
      // send a change again that it was told is staged.
      const state = nodePath.join(work, 'state');
      const at = (p: string) => synced.lastIndexOf(p);
      expect(at(stagingDir(id))).toBeGreaterThanOrEqual(0);
      expect(at(nodePath.join(state, 'zync-staging'))).toBeGreaterThan(at(stagingDir(id)));
      expect(at(state)).toBeGreaterThan(at(stagingDir(id)));
    } finally {
      fsLog.events = null;
    }
  });

  it.each([
    ['E edited the file too', 'E version\n', true, 'modified'],
    ['E deleted the file', null, true, 'deleted'],
    ['E already holds R’s content', 'R version\n', false, undefined],
    ['E still holds the base', 'base\n', false, undefined],
  ])('classifies at staging time: %s', async (_name, eContent, conflict, eChange) => {
    if (eContent !== null) await writeFile(nodePath.join(root, 'f.txt'), eContent);
    const c = open();
    await c.prepare(1);
    const r = Buffer.from('R version\n');
    const u = c.upload('f.txt', r, sha256('base\n'));
    c.sendBytes(u, r);
    const reply = await c.reply(u);
    expect(reply).toMatchObject({ status: 'ok', conflict });
    expect(reply.e_change).toBe(eChange); // what E did, only for a conflict
    expect(await c.finalize()).toMatchObject({ conflict_count: conflict ? 1 : 0 });
  });

  it.each([
    ['a directory made on R, absent on E', false, null, false],
    ['a directory made on R, present on E', false, 'dir', false],
    ['a directory made on R where E has a file', false, 'file', true],
    ['a directory removed on R, still on E', true, 'dir', false],
    ['a directory removed on R, gone on E', true, null, false],
  ] as const)('stages %s', async (_name, removed, onE, conflict) => {
    if (onE === 'dir') await mkdir(nodePath.join(root, 'd'));
    if (onE === 'file') await writeFile(nodePath.join(root, 'd'), 'x');
    const c = open();
    const id = await c.prepare(1);
    const u = c.upload('d', null, null, { kind: 'dir', delete: removed });
    expect(await c.reply(u)).toMatchObject({ status: 'ok', conflict });
    expect(await c.finalize()).toMatchObject({ status: 'ok', file_count: 1 });
    expect(staging().listEntries(id)).toEqual([
      expect.objectContaining({ kind: 'dir', operation: removed ? 'delete' : 'add', blob: null, e_checksum: onE === 'file' ? sha256('x') : onE }),
    ]);
  });

  it('stages a file sent over a directory on E as a conflict (zync-apply decides what is safe)', async () => {
    await mkdir(nodePath.join(root, 'd'));
    const c = open();
    await c.prepare(1);
    const content = Buffer.from('abc');
    const u = c.upload('d', content, null);
    c.sendBytes(u, content);
    expect(await c.reply(u)).toMatchObject({ status: 'ok', conflict: true, e_change: 'added_dir' });
  });

  it('a full disk aborts the session at once: DISK_FULL, its files gone, nothing appliable', async () => {
    const sent: Sent[] = [];
    const errors: unknown[][] = [];
    const conn = createStagingConnection(
      { clientId: 'c', send: (m) => sent.push(m as Sent), pause: () => undefined, resume: () => undefined, log: { ...log, error: (...args: unknown[]) => void errors.push(args) } as Logger },
      {
        store: staging(),
        stagingRoot: nodePath.join(work, 'state', 'zync-staging'),
        knownDirs: new Set(['docs']),
        currentContent: async () => null,
        limits: DEFAULT_LIMITS,
        createWriter: async () => ({
          write: async () => {
            throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
          },
          commit: async () => ({ checksum: '', size: 0, file: { size: 0, mtime: 0, ino: 0, mode: 0 } }),
          abort: async () => undefined,
        }),
      },
    );
    const answer = async (id: number) => {
      for (let i = 0; i < 500 && !sent.some((m) => m.id === id); i++) await new Promise((r) => setTimeout(r, 5));
      return sent.find((m) => m.id === id);
    };
    conn.handleRequest(Request.parse({ operation: 'PREPARE_UPSTREAM', id: 1, file_count: 1 }) as UpstreamRequest);
    const id = (await answer(1))!.staging_id!;
    const content = Buffer.from('abc');
    conn.handleRequest(
      Request.parse({ operation: 'UPSTREAM_FILE', id: 2, base_dir: 'docs', path: 'f', checksum: sha256(content), size: 3, base_checksum: null }) as UpstreamRequest,
    );
    conn.handleBinary(2, content);
    const answered = await answer(2);
    expect(answered).toMatchObject({ status: 'error', code: 'DISK_FULL' });
    // E's log says it in the words R's user reads, not only "upstream session aborted … disk full".
    expect(errors).toEqual([[{ staging_id: id, code: 'DISK_FULL' }, answered!.error]]);
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted', reason: 'disk full' });
    conn.handleRequest(Request.parse({ operation: 'FINALIZE_UPSTREAM', id: 3 }) as UpstreamRequest);
    expect(await answer(3)).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
  });

  it('a full disk that also refuses the db write (SQLITE_FULL) still answers DISK_FULL and records the abort once space is freed', async () => {
    const sent: Sent[] = [];
    const real = staging();
    let refusals = 1;
    const flaky = Object.assign(Object.create(real) as StagingStore, {
      abortSession: (stagingId: string, reason: string, now: number) => {
        if (refusals-- > 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return real.abortSession(stagingId, reason, now);
      },
    });
    const conn = createStagingConnection(
      { clientId: 'c', send: (m) => sent.push(m as Sent), pause: () => undefined, resume: () => undefined, log },
      {
        store: flaky,
        stagingRoot: nodePath.join(work, 'state', 'zync-staging'),
        knownDirs: new Set(['docs']),
        currentContent: async () => null,
        limits: DEFAULT_LIMITS,
        createWriter: async () => ({
          write: async () => {
            throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
          },
          commit: async () => ({ checksum: '', size: 0, file: { size: 0, mtime: 0, ino: 0, mode: 0 } }),
          abort: async () => undefined,
        }),
      },
    );
    const answer = async (id: number) => {
      for (let i = 0; i < 500 && !sent.some((m) => m.id === id); i++) await new Promise((r) => setTimeout(r, 5));
      return sent.find((m) => m.id === id);
    };
    conn.handleRequest(Request.parse({ operation: 'PREPARE_UPSTREAM', id: 1, file_count: 1 }) as UpstreamRequest);
    const id = (await answer(1))!.staging_id!;
    const content = Buffer.from('abc');
    conn.handleRequest(
      Request.parse({ operation: 'UPSTREAM_FILE', id: 2, base_dir: 'docs', path: 'f', checksum: sha256(content), size: 3, base_checksum: null }) as UpstreamRequest,
    );
    conn.handleBinary(2, content);
    expect(await answer(2)).toMatchObject({ status: 'error', code: 'DISK_FULL', error: expect.stringMatching(/^E's disk is full: the daemon cannot stage docs\/f \(session \S+ was aborted\)\. Free space on the file system that holds \S+ \(df \S+\); then run --update-upstream again\.$/) });
    await conn.idle();
    expect(real.getSession(id)).toMatchObject({ status: 'aborted', reason: 'disk full' });
    await expect(readdir(stagingDir(id))).rejects.toThrow();
  });

  it('sweeps staged bytes an interrupted cleanup left, saying so, and keeps complete sessions and directories of no session of its own', async () => {
    const c = open();
    const keep = await c.prepare(0);
    await c.finalize();
    staging().createSession({ staging_id: '20200101-000000-aborted', client_id: 'r', file_count: 1, now: 1 });
    staging().abortSession('20200101-000000-aborted', 'test', 2);
    await mkdir(stagingDir('20200101-000000-aborted'), { recursive: true });
    // Another database's in this state directory (or a deleted one's): not this daemon's to remove.
    await mkdir(stagingDir('20200101-000000-other'), { recursive: true });
    const lines: string[] = [];
    open({ log: { ...log, info: (...args: unknown[]) => void lines.push(String(args[args.length - 1])) } as Logger });
    expect((await readdir(nodePath.join(work, 'state', 'zync-staging'))).sort()).toEqual(['20200101-000000-other', keep].sort());
    expect(lines).toEqual(['removed 1 staging directory of sessions that were aborted or applied (left by an interrupted cleanup)']);
  });

  it('refuses bad checksums and then refuses to finalize', async () => {
    const c = open();
    await c.prepare(1);
    const u = c.upload('f.txt', Buffer.from('abc'), null, { checksum: sha256('xyz') });
    c.sendBytes(u, Buffer.from('abc'));
    expect(await c.reply(u)).toMatchObject({ status: 'error', code: 'CHECKSUM_MISMATCH' });
    expect(await c.finalize()).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
  });

  it('stages the rest of a session whose files R left out: one mid-upload, one whose checksum failed', async () => {
    const c = open();
    const id = await c.prepare(4);
    const kept = Buffer.from('an edit that goes\n');
    const k = c.upload('kept.txt', kept, null);
    c.sendBytes(k, kept);
    // A log R rewrote while it was read: half of its bytes came, then R stopped sending.
    const half = c.upload('run.log', Buffer.from('0123456789'), null);
    c.conn.handleBinary(half, Buffer.from('01234'));
    const dropHalf = c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'run.log' });
    // A file rewritten with the same size: all bytes came, and they did not match.
    const bad = c.upload('saved.txt', Buffer.from('abc'), null, { checksum: sha256('xyz') });
    c.sendBytes(bad, Buffer.from('abc'));
    expect(await c.reply(bad)).toMatchObject({ status: 'error', code: 'CHECKSUM_MISMATCH' });
    const dropBad = c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'saved.txt' });
    expect(await c.reply(dropHalf)).toMatchObject({ status: 'ok', staging_id: id, file_count: 3 });
    expect(await c.reply(dropBad)).toMatchObject({ status: 'ok', staging_id: id, file_count: 2 });
    // A file saved once while it was read: left out, read again, sent again whole; it counts back in.
    const once = Buffer.from('saved once\n');
    const first = c.upload('draft.txt', Buffer.from('0123456789'), null);
    c.conn.handleBinary(first, Buffer.from('0123'));
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'draft.txt' }))).toMatchObject({ file_count: 1 });
    const second = c.upload('draft.txt', once, null);
    c.sendBytes(second, once);
    expect(await c.reply(second)).toMatchObject({ status: 'ok', conflict: false });
    // What is staged stays staged; what is left out is not left out twice.
    for (const path of ['kept.txt', 'run.log']) {
      const refused = await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path }));
      expect(refused).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    }

    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 2 });
    // The dropped uploads' own requests are never answered: R's DROP answered for them.
    expect(c.sent.filter((m) => m.id === half || m.id === first)).toEqual([]);
    expect(staging().getSession(id)).toMatchObject({ status: 'complete', file_count: 2, received_count: 2 });
    expect(staging().listEntries(id).map((e) => e.path)).toEqual(['kept.txt', 'draft.txt']);
    expect((await readdir(stagingDir(id))).sort()).toEqual(['1.blob', '5.blob']);
  });

  it('stages the rest of a session once R leaves out an entry E refused as ignored', async () => {
    const c = open();
    const id = await c.prepare(2);
    const ignored = Buffer.from('a hook\n');
    const i = c.upload('.git/hooks/pre-commit', ignored, null);
    c.sendBytes(i, ignored);
    expect(await c.reply(i)).toMatchObject({ status: 'error', code: 'IGNORED_PATH' });
    const kept = Buffer.from('an edit that goes\n');
    const k = c.upload('kept.txt', kept, null);
    c.sendBytes(k, kept);
    expect(await c.reply(k)).toMatchObject({ status: 'ok' });
    const drop = c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: '.git/hooks/pre-commit' });
    expect(await c.reply(drop)).toMatchObject({ status: 'ok', staging_id: id, file_count: 1 });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 1 });
    expect(staging().listEntries(id).map((e) => e.path)).toEqual(['kept.txt']);
    expect(await readdir(stagingDir(id))).toHaveLength(1);
  });

  it('refuses a path E ignores as soon as its request arrives, before its bytes, and drops what R still sends of it', async () => {
    const c = open();
    const id = await c.prepare(2);
    const ignored = Buffer.from('a large file E ignores\n');
    const i = c.upload('.git/big.pack', ignored, null);
    c.conn.handleBinary(i, ignored.subarray(0, 4));
    // Answered with only 4 of its bytes in: R stops sending it.
    expect(await c.reply(i)).toMatchObject({ status: 'error', code: 'IGNORED_PATH' });
    // Bytes already on their way are dropped, not taken for a protocol error.
    expect(c.conn.handleBinary(i, ignored.subarray(4))).toBe(true);
    const kept = Buffer.from('an edit that goes\n');
    const k = c.upload('kept.txt', kept, null);
    c.sendBytes(k, kept);
    expect(await c.reply(k)).toMatchObject({ status: 'ok' });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: '.git/big.pack' }))).toMatchObject({ status: 'ok', file_count: 1 });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 1 });
    expect(staging().listEntries(id).map((e) => e.path)).toEqual(['kept.txt']);
    expect(await readdir(stagingDir(id))).toHaveLength(1);
  });

  it.each([
    ['moved away', 'missing or not a directory', async () => rename(root, `${root}.moved`), undefined],
    ['held by the watcher (emptied)', 'held by the daemon', async () => undefined, (name: string) => name !== 'docs'],
  ])('refuses every entry of a root %s with ROOT_UNAVAILABLE as it is announced, and an abort names it', async (_name, says, makeUnavailable, rootAvailable) => {
    await makeUnavailable();
    const c = open(rootAvailable ? { rootAvailable } : {});
    const id = await c.prepare(2);
    const content = Buffer.from('R edit, not sent\n');
    const u = c.upload('r2.txt', content, null);
    // Answered before any of its bytes: R sends none.
    const refused = await c.reply(u);
    expect(refused).toMatchObject({ status: 'error', code: 'ROOT_UNAVAILABLE' });
    expect(refused.error).toBe(
      `E's root "docs" is ${says}${says.startsWith('held') ? ' (emptied while entries are recorded for it: an unmounted disk?)' : ''}; ` +
        'nothing was staged for it — restore or mount it on E, then run --update-upstream again.',
    );
    expect(await c.reply(c.upload('gone.txt', null, sha256('x')))).toMatchObject({ status: 'error', code: 'ROOT_UNAVAILABLE' });
    c.conn.close();
    await c.port.close?.();
    expect(staging().getSession(id)).toMatchObject({
      status: 'aborted',
      reason: 'E\'s root "docs" was unavailable, so R\'s entries there were refused; R\'s upload ended before it finished',
    });
  });

  it('keeps a path sent again right after its DROP (not waiting for the answer) staged, and refuses to drop it then', async () => {
    const c = open();
    const id = await c.prepare(2);
    const other = Buffer.from('other\n');
    const o = c.upload('b.txt', other, null);
    c.sendBytes(o, other);
    expect(await c.reply(o)).toMatchObject({ status: 'ok' });
    const half = c.upload('a.txt', Buffer.from('0123456789'), null);
    c.conn.handleBinary(half, Buffer.from('0123'));
    const dropped = c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'a.txt' });
    const whole = Buffer.from('whole\n');
    const again = c.upload('a.txt', whole, null);
    c.sendBytes(again, whole);
    expect(await c.reply(dropped)).toMatchObject({ status: 'ok' });
    expect(await c.reply(again)).toMatchObject({ status: 'ok' });
    // The dropped upload settling must not take the mark of the one sent again.
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'a.txt' }))).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 2 });
    expect(staging().getSession(id)).toMatchObject({ status: 'complete', file_count: 2, received_count: 2 });
  });

  it('stages a from_e file from the staged copy of a session still waiting, hashed as it is copied', async () => {
    const content = Buffer.alloc(300 * 1024, 9); // made on R: no file of E's holds it
    const c = open();
    const first = await c.prepare(1);
    const sent = c.upload('made-on-r.bin', content, null);
    c.sendBytes(sent, content, 64 * 1024);
    expect(await c.reply(sent)).toMatchObject({ status: 'ok' });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: first });

    // R renamed it and sends the rename: the content comes from the waiting session's staged copy.
    const second = await c.prepare(1);
    expect(await c.reply(c.upload('renamed.bin', content, null, { from_e: true }))).toMatchObject({ status: 'ok', staging_id: second });
    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: second, file_count: 1 });
    const [entry] = staging().listEntries(second);
    expect((await readFile(nodePath.join(stagingDir(second), entry!.blob!))).equals(content)).toBe(true);
    // The waiting session keeps its own.
    const [held] = staging().listEntries(first);
    expect((await readFile(nodePath.join(stagingDir(first), held!.blob!))).equals(content)).toBe(true);

    // A staged copy damaged since (same size) is no source; nor is one of a session no longer waiting.
    await writeFile(nodePath.join(stagingDir(first), held!.blob!), Buffer.alloc(content.length, 1));
    await writeFile(nodePath.join(stagingDir(second), entry!.blob!), Buffer.alloc(content.length, 2));
    const third = await c.prepare(1);
    expect(await c.reply(c.upload('copy.bin', content, null, { from_e: true }))).toMatchObject({ status: 'error', code: 'CONTENT_NEEDED' });
    expect(staging().listEntries(third)).toEqual([]);
  });

  it("counts in its log line only the files the finalized session holds from E's own copies", async () => {
    const content = Buffer.alloc(300 * 1024, 7);
    await writeFile(nodePath.join(root, 'old.bin'), content);
    store.recordChanges([{ operation: 'add', kind: 'file', base_dir: 'docs', path: 'old.bin', checksum: sha256(content), size: content.length, mtime: 1, mode: 0o644 }]);
    const logged = vi.spyOn(log, 'info');
    try {
      const c = open();
      const id = await c.prepare(2);
      for (const path of ['a.bin', 'b.bin']) expect(await c.reply(c.upload(path, content, null, { from_e: true }))).toMatchObject({ status: 'ok' });
      // R took b.bin back out (it changed on R after E staged it) and sent it again with its bytes.
      expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'b.bin', staged: true }))).toMatchObject({ status: 'ok' });
      const again = c.upload('b.bin', content, null);
      c.sendBytes(again, content, 64 * 1024);
      expect(await c.reply(again)).toMatchObject({ status: 'ok' });
      expect(await c.finalize()).toMatchObject({ status: 'ok', file_count: 2 });
      expect(logged).toHaveBeenCalledWith({ staging_id: id, file_count: 2, conflict_count: 0, from_e: 1 }, 'upstream session staged');
    } finally {
      logged.mockRestore();
    }
  });

  it('takes staged entries back out when R asks (staged: true), and finalizes the rest', async () => {
    const c = open();
    const id = await c.prepare(4);
    // A directory R made and removed again before FINALIZE, and an empty file R wrote into since.
    const dir = c.upload('new-dir', null, null, { kind: 'dir' });
    const empty = c.upload('empty.txt', Buffer.alloc(0), null);
    const kept = Buffer.from('kept\n');
    const k = c.upload('kept.txt', kept, null);
    c.sendBytes(k, kept);
    for (const u of [dir, empty, k]) expect(await c.reply(u)).toMatchObject({ status: 'ok' });
    // Not yet sent: nothing to take out (without `staged` it is a plain drop).
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'later.txt', staged: true }))).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'later.txt' }))).toMatchObject({ status: 'ok', file_count: 3 });
    // Without `staged`, a staged entry stays, as before.
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'new-dir' }))).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'new-dir', staged: true }))).toMatchObject({ status: 'ok', staging_id: id, file_count: 2 });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'empty.txt', staged: true }))).toMatchObject({ status: 'ok', staging_id: id, file_count: 1 });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: 'new-dir', staged: true }))).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    expect(await c.reply(c.request({ operation: 'DROP_UPSTREAM_FILE', base_dir: 'docs', path: '../new-dir', staged: true }))).toMatchObject({ status: 'error', code: 'UNSAFE_PATH' });

    expect(await c.finalize()).toMatchObject({ status: 'ok', staging_id: id, file_count: 1, conflict_count: 0 });
    expect(staging().getSession(id)).toMatchObject({ status: 'complete', file_count: 1, received_count: 1, total_bytes: kept.length });
    expect(staging().listEntries(id).map((e) => e.path)).toEqual(['kept.txt']);
    // The empty file's blob went with it.
    expect(await readdir(stagingDir(id))).toEqual(['3.blob']);
  });

  it.each([
    ['an unknown base dir', { base_dir: 'code' }, 'UNKNOWN_BASE_DIR'],
    ['a path escaping the root', { path: '../x' }, 'UNSAFE_PATH'],
    ['a path E ignores', { path: '.git/hooks/pre-commit' }, 'IGNORED_PATH'],
    ['a file over the size limit', { size: 100 }, 'TOO_LARGE'],
  ])('refuses %s', async (_name, fields, code) => {
    const c = open({ maxFileBytes: 50 });
    await c.prepare(1);
    const content = Buffer.from('abc');
    const u = c.upload('f.txt', content, null, fields);
    c.sendBytes(u, content);
    expect(await c.reply(u)).toMatchObject({ status: 'error', code });
  });

  it('refuses to finalize a session holding a file and an entry below it: PATH_CLASH naming both, nothing staged', async () => {
    const c = open();
    const id = await c.prepare(3);
    const a = Buffer.from('R file a\n');
    const b = Buffer.from('R file a/b\n');
    const ua = c.upload('a', a, null);
    const ub = c.upload('a/b', b, null);
    const uc = c.upload('c.txt', Buffer.alloc(0), null);
    c.sendBytes(ua, a);
    c.sendBytes(ub, b);
    for (const u of [ua, ub, uc]) expect(await c.reply(u)).toMatchObject({ status: 'ok' });
    expect(await c.finalize()).toMatchObject({
      status: 'error',
      code: 'PATH_CLASH',
      error: expect.stringContaining('holds docs/a as a file and also docs/a/b below it;'),
    });
    c.conn.close();
    await c.port.close?.(); // waits for the aborted session's files to go
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted' });
    expect(staging().listSessions()).toEqual([]); // nothing for zync-apply
    await expect(readdir(stagingDir(id))).rejects.toThrow();
  });

  // E's trouble, not R's usage: as BAD_ARGUMENT R would exit 2 ("bad arguments"), and a ZyncError
  // is not logged, so E's own log would not say why R's upload is refused.
  it("refuses an entry while E cannot read the root's .zyncignore: ROOT_UNAVAILABLE, said in E's log too", async () => {
    await mkdir(nodePath.join(root, '.zyncignore')); // read as a file: EISDIR
    const logged = vi.spyOn(log, 'error');
    try {
      const c = open();
      await c.prepare(1);
      const content = Buffer.from('abc');
      const u = c.upload('f.txt', content, null);
      c.sendBytes(u, content);
      expect(await c.reply(u)).toMatchObject({ status: 'error', code: 'ROOT_UNAVAILABLE', error: expect.stringContaining(`Cannot read ${root}/.zyncignore (EISDIR)`) });
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ base_dir: 'docs' }), expect.stringContaining('Cannot read'));
    } finally {
      logged.mockRestore();
    }
  });

  it('refuses more bytes than announced', async () => {
    const c = open();
    await c.prepare(1);
    const u = c.upload('f.txt', Buffer.from('abc'), null);
    expect(c.conn.handleBinary(u, Buffer.from('abcdef'))).toBe(true);
    expect(await c.reply(u)).toMatchObject({ status: 'error', code: 'TOO_LARGE' });
    expect(c.conn.handleBinary(u, Buffer.from('more'))).toBe(true); // dropped quietly
  });

  it('does not claim frames for ids it does not know', () => {
    const c = open();
    expect(c.conn.handleBinary(99, Buffer.from('x'))).toBe(false);
  });

  it('aborts on close before FINALIZE and removes the staged files', async () => {
    const c = open();
    const id = await c.prepare(2);
    const content = Buffer.from('complete file');
    const u = c.upload('one.txt', content, null);
    c.sendBytes(u, content);
    await c.reply(u);
    const partial = c.upload('two.txt', Buffer.from('0123456789'), null);
    c.conn.handleBinary(partial, Buffer.from('01234'));
    c.conn.close();
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted' });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        await readdir(stagingDir(id));
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect(readdir(stagingDir(id))).rejects.toThrow();
  });

  it('closing the port waits until aborted sessions are cleaned up', async () => {
    const c = open();
    const id = await c.prepare(1);
    const u = c.upload('big.bin', Buffer.alloc(1000), null);
    c.conn.handleBinary(u, Buffer.alloc(500));
    c.conn.close();
    await c.port.close?.();
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted' });
    await expect(readdir(stagingDir(id))).rejects.toThrow();
  });

  it('refuses an UPSTREAM_FILE whose id an open upload still uses: nothing of either is kept past close', async () => {
    const c = open();
    const id = await c.prepare(2);
    // 16 MiB or more: the first upload's writer holds an O_DIRECT staging area while it is open.
    const size = 16 * 1024 * 1024;
    const req = (path: string) =>
      Request.parse({ operation: 'UPSTREAM_FILE', id: 900, base_dir: 'docs', path, checksum: sha256(Buffer.alloc(size)), size, base_checksum: null, delete: false });
    c.conn.handleRequest(req('a.bin') as UpstreamRequest);
    c.conn.handleBinary(900, Buffer.alloc(500));
    c.conn.handleRequest(req('b.bin') as UpstreamRequest);
    expect(await c.reply(900)).toMatchObject({ status: 'error', code: 'BAD_MESSAGE' });
    c.conn.close();
    const closed = await Promise.race([c.port.close?.().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 5000))]);
    expect(closed).toBe('closed');
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted' });
    await expect(readdir(stagingDir(id))).rejects.toThrow();
  });

  it('pauses the socket above the high-water mark and resumes as the disk catches up', async () => {
    const c = open({ highWaterBytes: 8 });
    await c.prepare(1);
    const content = Buffer.alloc(4096, 7);
    const u = c.upload('big.bin', content, null);
    c.sendBytes(u, content, 64);
    expect(await c.reply(u)).toMatchObject({ status: 'ok' });
    expect(c.flow.pauses).toBeGreaterThan(0);
    expect(c.flow.resumes).toBe(c.flow.pauses);
  });

  it('refuses a second PREPARE while a session is open, allows one after FINALIZE', async () => {
    const c = open();
    await c.prepare(0);
    const again = c.conn;
    again.handleRequest({ operation: 'PREPARE_UPSTREAM', id: 500, file_count: 1 });
    expect(await c.reply(500)).toMatchObject({ status: 'error', code: 'UPSTREAM_STATE' });
    expect(await c.finalize()).toMatchObject({ status: 'ok', file_count: 0 });
    expect(await c.prepare(1)).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
  });

  it('aborts sessions a previous run left in progress', async () => {
    const c = open();
    const id = await c.prepare(1);
    open(); // a new port = a daemon restart
    expect(staging().getSession(id)).toMatchObject({ status: 'aborted' });
  });
});
