// One connection's upstream staging: PREPARE_UPSTREAM opens a session bound to this connection,
// each UPSTREAM_FILE streams its bytes into <statedir>/zync-staging/<staging_id>/ through an
// AtomicFileWriter (checksum verified on commit), or with `from_e` copies it there from one of
// E's own files or staged files holding that content (copies-on-e.ts; verified the same way,
// CONTENT_NEEDED when none still does), or records a deletion — a path E's rules refuse,
// or one of a root unavailable on E, is answered as soon as its request arrives, before its
// bytes — DROP_UPSTREAM_FILE leaves one
// entry out (discarding what arrived of it; with `staged`, taking a staged one back out), and
// FINALIZE_UPSTREAM marks the session complete once every announced entry arrived intact and they make a tree
// (checkNothingBelowFiles; otherwise it is aborted). The socket closing before that aborts the
// session and deletes its files; a full disk aborts it at once.
// It owns the socket's flow control for upstream bytes (pause above a high-water mark of bytes
// waiting for the disk). It must not write anywhere in E's watched roots, and it decides nothing
// itself: order and shape rules are upstream-rules.ts, conflicts are classify.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import * as nodePath from 'node:path';
import {
  AtomicFileWriter,
  fromFsError,
  fsyncPath,
  isZyncError,
  ZyncError,
  type DropUpstreamFileRequest,
  type DropUpstreamFileResponse,
  type EntryKind,
  type ErrorResponse,
  type FinalizeUpstreamResponse,
  type PrepareUpstreamResponse,
  type UpstreamFileRequest,
  type UpstreamFileResponse,
} from '@zync/common';
import type { UpstreamConnection, UpstreamContext, UpstreamRequest } from '../server/upstream-port.js';
import { classifyStagedEntry, eChangeOf, entryTokens, upstreamOperation } from './classify.js';
import { stagingDiskFullError } from '../core/state-disk-full.js';
import type { CopySource } from './copies-on-e.js';
import { summarizeStaged } from './staged-summary.js';
import type { StagedEntry, StagingStore } from './staging-store.js';
import {
  checkAllArrived,
  checkDropUpstreamFile,
  checkFinalize,
  checkNothingBelowFiles,
  checkPrepare,
  checkUpstreamFile,
  closedBeforeFinalizeReason,
  entryKey,
  type SessionView,
  type StagingLimits,
} from './upstream-rules.js';

/** What staged bytes are written through (AtomicFileWriter; a test may substitute a failing one). */
export type StagingWriter = Pick<AtomicFileWriter, 'write' | 'commit' | 'abort'>;

/** E's current content at (base_dir, path) as a token: a SHA-256, DIR_TOKEN, or null when absent. */
export type CurrentContent = (baseDir: string, path: string, kind: EntryKind) => Promise<string | null>;

export interface StagingDeps {
  store: StagingStore;
  /** <statedir>/zync-staging */
  stagingRoot: string;
  knownDirs: ReadonlySet<string>;
  currentContent: CurrentContent;
  /** Throws for a path E must not receive: IGNORED_PATH for one its ignore rules exclude. */
  checkPath?: (baseDir: string, path: string, kind: EntryKind) => Promise<void>;
  limits: StagingLimits;
  /** Received upstream bytes not yet on disk above which the socket is paused. */
  highWaterBytes?: number;
  now?: () => number;
  /** E's live files recorded with this content (absent: from_e is answered CONTENT_NEEDED). */
  copiesOnE?: (checksum: string, size: number) => readonly CopySource[];
  /** Opens the writer for a staged blob (default AtomicFileWriter.create). */
  createWriter?: (target: string, expectedSize: number) => Promise<StagingWriter>;
}

interface LiveSession extends SessionView {
  seen: Set<string>;
  dropped: Set<string>;
  dir: string;
  /** Resolves when the session's directory exists. */
  dirReady: Promise<void>;
  staged: number;
  /** Entry numbers staged from E's own copies (from_e), for the session's log line (summarizeStaged). */
  fromE: Set<number>;
  uploads: Set<Upload>;
  nextEntry: number;
  /** Roots E refused entries for as unavailable (ROOT_UNAVAILABLE): named in the log once, and in an abort's reason. */
  refusedRoots: Set<string>;
}

interface Upload {
  id: number;
  req: UpstreamFileRequest;
  session: LiveSession;
  entryNo: number;
  blob: string;
  /** null for a deletion. */
  writer: Promise<StagingWriter> | null;
  /** Serialises writes; never rejects (failures land in `error`). */
  chain: Promise<void>;
  received: number;
  error: unknown;
  /** R left it out (DROP_UPSTREAM_FILE answers for it): its own request gets no answer. */
  dropped: boolean;
  /** Settles when the upload is answered (ok or error). */
  settled: Promise<void>;
  settle: () => void;
}

/** ENOSPC/EDQUOT from the file system, or SQLITE_FULL from the staging db: E's disk is full. */
function isDiskFull(err: unknown): boolean {
  const mapped = fromFsError(err, '');
  if (isZyncError(mapped) && mapped.code === 'DISK_FULL') return true;
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}


/** A readable, sortable staging id: UTC time plus randomness (`20261122-184700-3fa9c1`). */
export function newStagingId(now: number): string {
  const iso = new Date(now).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${randomBytes(3).toString('hex')}`;
}

/** An UpstreamConnection that can also say when all of its disk and db work has finished. */
export interface StagingConnection extends UpstreamConnection {
  /** Resolves once no write, commit, record or cleanup of this connection is running. */
  idle(): Promise<void>;
}

export function createStagingConnection(ctx: UpstreamContext, deps: StagingDeps): StagingConnection {
  /** The answer R's user sees, in the words E's log uses for a full disk (core/state-disk-full.ts). */
  const diskFullError = (cannot: string, cause: unknown): ZyncError => stagingDiskFullError(cannot, deps.stagingRoot, cause);
  const now = deps.now ?? Date.now;
  const highWater = deps.highWaterBytes ?? 8 * 1024 * 1024;
  const createWriter = deps.createWriter ?? ((target: string, expectedSize: number) => AtomicFileWriter.create(target, { expectedSize }));
  const uploads = new Map<number, Upload>();
  /** Ids whose request failed before all their bytes came: frames still in flight are dropped. */
  const discarding = new Map<number, number>();
  let session: LiveSession | null = null;
  let buffered = 0;
  let paused = false;
  let closed = false;
  /** Async work still running (for idle(): the daemon closes the store only after it). */
  const work = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    work.add(p);
    void p.then(
      () => work.delete(p),
      () => work.delete(p),
    );
  };

  const sendError = (id: number, err: unknown) => {
    const z = isZyncError(err) ? err : null;
    if (!z) ctx.log.error({ err }, 'upstream staging failed');
    const msg: ErrorResponse = {
      id,
      status: 'error',
      code: z?.code ?? 'INTERNAL',
      error: z?.message ?? 'The daemon failed to stage this entry; see its log.',
    };
    if (!closed) ctx.send(msg);
  };

  const flow = () => {
    if (!paused && buffered > highWater) {
      paused = true;
      ctx.pause();
    } else if (paused && buffered <= highWater / 2) {
      paused = false;
      ctx.resume();
    }
  };

  const sessionGone = (s: LiveSession) =>
    new ZyncError('UPSTREAM_STATE', `Staging session ${s.staging_id} was aborted${s.reason ? ` (${s.reason})` : ''}.`);

  /** Records the abort; false when the db refused (e.g. SQLITE_FULL on a full disk). */
  const recordAbort = (s: LiveSession, reason: string): boolean => {
    try {
      deps.store.abortSession(s.staging_id, reason, now());
      return true;
    } catch (err) {
      ctx.log.error({ err, staging_id: s.staging_id }, 'could not record an aborted session; retrying once its files are removed');
      return false;
    }
  };

  /**
   * Marks the session aborted (db first, so it is never appliable) and deletes its files. If the
   * db refuses the write (a full disk), the abort is recorded again once the files are gone;
   * the session stays in_progress meanwhile — never appliable, and aborted at the next start.
   */
  const abortSession = (s: LiveSession, reason: string, full: ZyncError | null = null): void => {
    if (s.status === 'aborted' || s.status === 'complete') return;
    s.status = 'aborted';
    s.reason = reason;
    const recorded = recordAbort(s, reason);
    // A full disk: E's log says what R's user is told (DISK_FULL, the file system to free), once a session.
    if (full) ctx.log.error({ staging_id: s.staging_id, code: full.code }, full.message);
    else ctx.log.warn({ staging_id: s.staging_id, reason }, 'upstream session aborted');
    for (const up of s.uploads) up.error ??= sessionGone(s);
    // Uploads still waiting for bytes are settled now (their temp files go); the rest of their
    // bytes, if any arrive, are dropped.
    for (const up of [...uploads.values()]) {
      if (up.session !== s) continue;
      if (!closed) discarding.set(up.id, up.req.size - up.received);
      track(finish(up));
    }
    track(
      Promise.all([...s.uploads].map((u) => u.settled))
        .then(() => rm(s.dir, { recursive: true, force: true }))
        .then(() => recorded || recordAbort(s, reason))
        .catch((err: unknown) => ctx.log.error({ err, staging_id: s.staging_id }, 'could not remove an aborted session')),
    );
  };

  const prepare = (id: number, fileCount: number, hostName: string | undefined) => {
    const refused = checkPrepare(session);
    if (refused) return sendError(id, refused);
    const stagingId = newStagingId(now());
    const dir = nodePath.join(deps.stagingRoot, stagingId);
    deps.store.createSession({ staging_id: stagingId, client_id: ctx.clientId, host_name: hostName, file_count: fileCount, now: now() });
    const s: LiveSession = {
      staging_id: stagingId,
      status: 'in_progress',
      file_count: fileCount,
      seen: new Set(),
      dropped: new Set(),
      dir,
      dirReady: mkdir(dir, { recursive: true }).then(() => undefined),
      staged: 0,
      fromE: new Set(),
      uploads: new Set(),
      nextEntry: 1,
      refusedRoots: new Set(),
    };
    session = s;
    const opened = s.dirReady.then(
      () => {
        ctx.log.info({ staging_id: stagingId, file_count: fileCount, client_id: ctx.clientId, host_name: hostName }, 'upstream session opened');
        const ok: PrepareUpstreamResponse = { id, status: 'ok', staging_id: stagingId };
        if (!closed) ctx.send(ok);
      },
      (err: unknown) => {
        const full = isDiskFull(err) ? diskFullError(`open staging session ${stagingId}`, err) : null;
        abortSession(s, full ? 'disk full' : 'staging directory not writable', full);
        sendError(id, full ?? err);
      },
    );
    track(opened);
  };

  /** Records a fully received (or deleted) entry, classified against E's current content. */
  const record = async (up: Upload, checksum: string | null): Promise<boolean> => {
    const { req, session: s } = up;
    await deps.checkPath?.(req.base_dir, req.path, req.kind);
    const e = await deps.currentContent(req.base_dir, req.path, req.kind);
    if (s.status !== 'in_progress' && s.status !== 'finalizing') return false;
    const tokens = entryTokens({ ...req, checksum });
    const { conflict } = classifyStagedEntry({ ...tokens, e_checksum: e });
    deps.store.addEntry({
      staging_id: s.staging_id,
      entry_no: up.entryNo,
      base_dir: req.base_dir,
      path: req.path,
      kind: req.kind,
      operation: upstreamOperation(req),
      checksum,
      size: req.size,
      mode: req.mode ?? null,
      base_mode: req.base_mode ?? null,
      mtime: req.mtime ?? null,
      base_checksum: req.base_checksum,
      e_checksum: e,
      conflict,
      blob: req.delete || req.kind === 'dir' ? null : up.blob,
    });
    s.staged++;
    const eChange = conflict ? eChangeOf({ base_checksum: tokens.base_checksum, e_checksum: e }) : null;
    const ok: UpstreamFileResponse = { id: up.id, status: 'ok', staging_id: s.staging_id, conflict, ...(eChange ? { e_change: eChange } : {}) };
    if (!closed) ctx.send(ok);
    return true;
  };

  const fail = (up: Upload, err: unknown) => {
    const what = `${up.req.base_dir}/${up.req.path}`;
    // DROP_UPSTREAM_FILE answers for a dropped one, and already unmarked its path, which R may
    // have sent again since: that upload's mark is not this one's to take.
    if (up.dropped) return;
    // A failed entry may be sent again in the same session.
    up.session.seen.delete(entryKey(up.req.base_dir, up.req.path));
    // Expected while a disk is unmounted: one warning per root and session, not an error per entry.
    if (isZyncError(err) && err.code === 'ROOT_UNAVAILABLE' && !up.session.refusedRoots.has(up.req.base_dir)) {
      up.session.refusedRoots.add(up.req.base_dir);
      ctx.log.warn({ staging_id: up.session.staging_id, base_dir: up.req.base_dir, code: err.code }, `upstream entries refused: ${err.message}`);
    }
    if (isDiskFull(err)) {
      // The message reaches R's user: say whose disk, and that nothing of the session is kept.
      const full = diskFullError(`stage ${what} (session ${up.session.staging_id} was aborted)`, err);
      abortSession(up.session, 'disk full', full);
      return sendError(up.id, full);
    }
    sendError(up.id, fromFsError(err, `staging ${what}`));
  };

  /** Runs once all of an upload's bytes were queued (or it failed): commit, classify, answer. */
  const finish = async (up: Upload) => {
    if (uploads.get(up.id) === up) uploads.delete(up.id);
    const blobPath = nodePath.join(up.session.dir, up.blob);
    let writer: StagingWriter | null = null;
    let committed = false;
    try {
      writer = await up.writer;
      await up.chain;
      if (up.error !== undefined) throw up.error;
      if (!writer) throw new Error('an upload without a writer');
      await writer.commit({ expectedChecksum: up.req.checksum ?? undefined, mode: 0o600 });
      committed = true;
      if (!(await record(up, up.req.checksum))) throw sessionGone(up.session);
    } catch (err) {
      if (committed) await rm(blobPath, { force: true }).catch(() => undefined);
      else await writer?.abort();
      fail(up, err);
    } finally {
      up.session.uploads.delete(up);
      up.settle();
    }
  };

  /**
   * Stages a file R offered with from_e from one of E's own copies of its content: copied into the
   * session's blob while hashed, so a copy that changed since E recorded it (or cannot be read) is
   * passed over. With none left, CONTENT_NEEDED: the entry is unmarked like any failed one, and
   * R sends it again with its bytes. A failure to write (a full disk) fails it as an upload's would.
   */
  const stageFromE = async (up: Upload) => {
    const { req, session: s } = up;
    const blobPath = nodePath.join(s.dir, up.blob);
    let committed = false;
    try {
      // Before copying: a path E's rules refuse is refused as soon as it is announced.
      await deps.checkPath?.(req.base_dir, req.path, req.kind);
      await s.dirReady;
      for (const source of deps.copiesOnE?.(req.checksum!, req.size) ?? []) {
        if (up.error !== undefined) throw up.error;
        const writer = await createWriter(blobPath, req.size);
        let unreadable: unknown = undefined;
        const chunks = async function* () {
          try {
            yield* source.read();
          } catch (err) {
            unreadable = err ?? new Error('unreadable');
            throw err;
          }
        };
        try {
          for await (const chunk of chunks()) {
            if (up.error !== undefined) throw up.error;
            await writer.write(chunk);
          }
          await writer.commit({ expectedChecksum: req.checksum!, mode: 0o600 });
        } catch (err) {
          await writer.abort();
          const mismatch = isZyncError(err) && err.code === 'CHECKSUM_MISMATCH';
          if (unreadable === undefined && !mismatch) throw err;
          ctx.log.debug({ staging_id: s.staging_id, source: source.what, err: String(unreadable ?? err) }, "E's copy no longer holds the content");
          continue;
        }
        committed = true;
        if (!(await record(up, req.checksum))) throw sessionGone(s);
        s.fromE.add(up.entryNo);
        ctx.log.debug({ staging_id: s.staging_id, path: `${req.base_dir}/${req.path}`, source: source.what, bytes: req.size }, "upstream file staged from E's own copy");
        return;
      }
      throw new ZyncError('CONTENT_NEEDED', `E holds no copy of ${req.base_dir}/${req.path} as R has it; send its bytes.`);
    } catch (err) {
      if (committed) await rm(blobPath, { force: true }).catch(() => undefined);
      fail(up, err);
    } finally {
      s.uploads.delete(up);
      up.settle();
    }
  };

  const upstreamFile = (req: UpstreamFileRequest) => {
    const open = uploads.get(req.id);
    if (open) {
      // Frames carry only the id: the open upload keeps it (and fails if more bytes come than it
      // announced). Taking the new one would orphan the open one: its writer and temp file would
      // stay, and its session could never be cleaned up.
      return sendError(
        req.id,
        new ZyncError('BAD_MESSAGE', `Request id ${req.id} is still in use by the upload of ${open.req.base_dir}/${open.req.path}.`),
      );
    }
    const refused = checkUpstreamFile(session, req, deps.knownDirs, deps.limits);
    if (refused || !session) {
      if (!req.delete && req.kind !== 'dir' && req.size > 0) discarding.set(req.id, req.size);
      return sendError(req.id, refused);
    }
    const s = session;
    const key = entryKey(req.base_dir, req.path);
    if (s.dropped.has(key)) {
      deps.store.adjustFileCount(s.staging_id, 1);
      s.file_count++;
      s.dropped.delete(key);
    }
    s.seen.add(key);
    const entryNo = s.nextEntry++;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const blob = `${entryNo}.blob`;
    const up: Upload = {
      id: req.id,
      req,
      session: s,
      entryNo,
      blob,
      writer: null,
      chain: Promise.resolve(),
      received: 0,
      error: undefined,
      dropped: false,
      settled,
      settle,
    };
    s.uploads.add(up);
    if (req.delete || req.kind === 'dir') {
      track(
        record(up, null)
          .then((recorded) => {
            if (!recorded) fail(up, sessionGone(s));
          })
          .catch((err: unknown) => fail(up, err))
          .finally(() => {
            s.uploads.delete(up);
            settle();
          }),
      );
      return;
    }
    // No bytes follow: E copies its own (req.checksum is set for a file of size > 0, checkUpstreamFile).
    if (req.from_e && req.size > 0) {
      track(stageFromE(up));
      return;
    }
    up.writer = s.dirReady.then(() => createWriter(nodePath.join(s.dir, blob), req.size));
    // Keep a failed create from surfacing as an unhandled rejection; finish() reports it.
    up.chain = up.writer.then(
      () => undefined,
      (err: unknown) => {
        up.error ??= err;
      },
    );
    if (req.size === 0) {
      track(finish(up));
      return;
    }
    uploads.set(req.id, up);
    // Checked as the entry opens, not only once its bytes are in (record): a large file E's
    // rules exclude is refused at once, and R stops sending it.
    if (deps.checkPath) track(deps.checkPath(req.base_dir, req.path, req.kind).catch((err: unknown) => refuseEarly(up, err)));
  };

  /** Answers an upload still waiting for bytes with its refusal; what R still sends of it is dropped. */
  const refuseEarly = (up: Upload, err: unknown) => {
    if (closed || uploads.get(up.id) !== up || up.error !== undefined) return;
    up.error = err;
    discarding.set(up.id, up.req.size - up.received);
    track(finish(up));
  };

  /**
   * Leaves one entry out of the session: an upload still waiting for bytes is ended (R sends no
   * more; its temp file goes), and the session expects one entry fewer. Answered once that
   * upload has settled, so FINALIZE_UPSTREAM sent after the answer never waits on it.
   */
  const drop = (req: DropUpstreamFileRequest) => {
    const key = entryKey(req.base_dir, req.path);
    const up = [...uploads.values()].find((u) => u.session === session && entryKey(u.req.base_dir, u.req.path) === key);
    // Recorded: the session's row exists only once the entry is staged whole (record()).
    const staged = req.staged === true && session ? deps.store.getEntry(session.staging_id, req.base_dir, req.path) : null;
    const refused = checkDropUpstreamFile(session, req, deps.knownDirs, up !== undefined, staged !== null);
    if (refused || !session) return sendError(req.id, refused);
    const s = session;
    if (staged) return takeOut(req, s, staged);
    deps.store.adjustFileCount(s.staging_id, -1);
    s.file_count--;
    s.seen.delete(key);
    s.dropped.add(key);
    if (up) {
      up.dropped = true;
      up.error ??= new ZyncError('FILE_CHANGED', `${req.base_dir}/${req.path} was left out by R.`);
      track(finish(up));
    }
    ctx.log.info({ staging_id: s.staging_id, base_dir: req.base_dir, path: req.path }, 'upstream entry left out by R');
    const answered = (up?.settled ?? Promise.resolve()).then(() => {
      const ok: DropUpstreamFileResponse = { id: req.id, status: 'ok', staging_id: s.staging_id, file_count: s.file_count };
      if (!closed) ctx.send(ok);
    });
    track(answered);
  };

  /**
   * Takes an entry the session staged back out (DROP_UPSTREAM_FILE with `staged`): its row and
   * its blob go, and the session expects one entry fewer. R may send the path again, as after a drop.
   */
  const takeOut = (req: DropUpstreamFileRequest, s: LiveSession, entry: StagedEntry) => {
    if (!deps.store.removeEntry(entry)) return sendError(req.id, sessionGone(s));
    const key = entryKey(req.base_dir, req.path);
    s.staged--;
    s.file_count--;
    s.seen.delete(key);
    s.dropped.add(key);
    ctx.log.info({ staging_id: s.staging_id, base_dir: req.base_dir, path: req.path }, 'staged upstream entry taken out by R');
    const blob = entry.blob === null ? Promise.resolve() : rm(nodePath.join(s.dir, entry.blob), { force: true });
    const answered = blob
      .catch((err: unknown) => ctx.log.warn({ err, staging_id: s.staging_id, blob: entry.blob }, 'could not remove the blob of an entry taken out'))
      .then(() => {
        const ok: DropUpstreamFileResponse = { id: req.id, status: 'ok', staging_id: s.staging_id, file_count: s.file_count };
        if (!closed) ctx.send(ok);
      });
    track(answered);
  };

  const finalize = (id: number, requested: string | undefined) => {
    const refused = checkFinalize(session, { staging_id: requested });
    if (refused || !session) return sendError(id, refused);
    const s = session;
    s.status = 'finalizing';
    const finalizing = Promise.all([...s.uploads].map((u) => u.settled))
      .then(async () => {
        if (s.status !== 'finalizing') throw sessionGone(s);
        const incomplete = checkAllArrived(s, s.staged);
        if (incomplete) {
          s.status = 'in_progress';
          throw incomplete;
        }
        // Aborted, not left open to be sent again: nothing of such a session is ever appliable.
        const entries = deps.store.listEntries(s.staging_id);
        const clash = checkNothingBelowFiles(s, entries);
        if (clash) {
          abortSession(s, clash.message);
          throw clash;
        }
        // The blobs' entries, and the session directory's own entry up to the state directory
        // (mkdir -p made them): once R hears "staged" it does not send these changes again, so a
        // power cut must not take the directory with it.
        await fsyncPath(s.dir);
        await fsyncPath(deps.stagingRoot);
        await fsyncPath(nodePath.dirname(deps.stagingRoot));
        const done = deps.store.completeSession(s.staging_id, now());
        if (!done) throw new ZyncError('UPSTREAM_STATE', `Staging session ${s.staging_id} is no longer in progress.`);
        s.status = 'complete';
        ctx.log.info(summarizeStaged(done, entries, s.fromE), 'upstream session staged');
        const ok: FinalizeUpstreamResponse = {
          id,
          status: 'ok',
          staging_id: s.staging_id,
          file_count: done.received_count,
          conflict_count: done.conflict_count,
        };
        if (!closed) ctx.send(ok);
      })
      .catch((err: unknown) => {
        if (s.status === 'finalizing') s.status = 'in_progress';
        sendError(id, isDiskFull(err) ? diskFullError(`finalize session ${s.staging_id}`, err) : fromFsError(err, `finalizing ${s.staging_id}`));
      });
    track(finalizing);
  };

  return {
    handleRequest(req: UpstreamRequest): void {
      if (closed) return;
      try {
        switch (req.operation) {
          case 'PREPARE_UPSTREAM':
            return prepare(req.id, req.file_count, req.host_name);
          case 'UPSTREAM_FILE':
            return upstreamFile(req);
          case 'DROP_UPSTREAM_FILE':
            return drop(req);
          case 'FINALIZE_UPSTREAM':
            return finalize(req.id, req.staging_id);
        }
      } catch (err) {
        // The staging db refused a write (e.g. SQLITE_FULL): answer, never throw into the server.
        sendError(req.id, isDiskFull(err) ? diskFullError('record the upload in its state database', err) : err);
      }
    },

    handleBinary(id: number, payload: Buffer): boolean {
      const left = discarding.get(id);
      if (left !== undefined) {
        if (left - payload.length <= 0) discarding.delete(id);
        else discarding.set(id, left - payload.length);
        return true;
      }
      const up = uploads.get(id);
      if (!up) return false;
      if (up.received + payload.length > up.req.size) {
        up.error ??= new ZyncError('TOO_LARGE', `More than the announced ${up.req.size} bytes arrived for ${up.req.base_dir}/${up.req.path}.`);
        discarding.set(id, Number.POSITIVE_INFINITY);
        track(finish(up));
        return true;
      }
      up.received += payload.length;
      if (up.error === undefined) {
        const copy = Buffer.from(payload);
        buffered += copy.length;
        flow();
        up.chain = up.chain.then(async () => {
          try {
            if (up.error === undefined) await (await up.writer)?.write(copy);
          } catch (err) {
            up.error ??= err;
          } finally {
            buffered -= copy.length;
            flow();
          }
        });
      }
      if (up.received === up.req.size) track(finish(up));
      return true;
    },

    close(): void {
      if (closed) return;
      closed = true;
      if (session && (session.status === 'in_progress' || session.status === 'finalizing')) {
        abortSession(session, closedBeforeFinalizeReason(session.refusedRoots));
      }
      // Uploads still waiting for bytes will never get them: settle them so their temp files go.
      for (const up of uploads.values()) {
        up.error ??= new ZyncError('CONNECTION_FAILED', 'The connection closed during the upload.');
        track(finish(up));
      }
      discarding.clear();
      if (paused) {
        paused = false;
        ctx.resume();
      }
    },

    async idle(): Promise<void> {
      while (work.size > 0) await Promise.allSettled([...work]);
    },
  };
}
