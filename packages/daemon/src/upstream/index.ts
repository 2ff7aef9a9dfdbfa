// Upstream staging on E: the port the WebSocket server opens per connection, and what zync-apply
// reuses (the staging store, the classification, the current-file reader). On creation it sweeps
// what a previous run left: sessions still in progress are aborted and their files removed.
// The daemon has refused a state directory inside a watched root before this runs
// (refusePrivatePathsInRoots with statePaths): staged content is never synced.
import { readdirSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { loadIgnoreMatcher, ZyncError, type DirSpec, type EntryKind, type IgnoreMatcher, type Logger } from '@zync/common';
import type { DaemonStore } from '../store/daemon-store.js';
import type { UpstreamConnection, UpstreamContext, UpstreamPort } from '../server/upstream-port.js';
import { copiesOnE } from './copies-on-e.js';
import { contentToken, readCurrentEntry } from './current-file.js';
import { sessionState } from './session-state.js';
import { createStagingConnection, type StagingConnection } from './staging-connection.js';
import { StagingStore } from './staging-store.js';
import { DEFAULT_LIMITS, rootUnavailableError, type StagingLimits } from './upstream-rules.js';

export { classifyStagedEntry, DIR_TOKEN, eChangeOf, entryTokens, upstreamOperation, type Classification, type EntryContents } from './classify.js';
export {
  contentToken,
  findBlock,
  readCurrentEntry,
  type PathBlock,
  type CurrentDir,
  type CurrentEntry,
  type CurrentFile,
} from './current-file.js';
export {
  StagingStore,
  type ApplyState,
  type NewStagedEntry,
  type Resolution,
  type RVersion,
  type SessionStatus,
  type StagedEntry,
  type StagingSession,
  type Superseded,
} from './staging-store.js';
export { DEFAULT_LIMITS, type StagingLimits } from './upstream-rules.js';
export { sessionState } from './session-state.js';
export { planRetention, removeExpiredUpstreamFiles, type RetentionInput, type RetentionPlan, type SessionDir } from './retention.js';

/** <statedir>/zync-staging: staged upstream content, one directory per session. */
export function stagingRootFor(stateDir: string): string {
  return nodePath.join(stateDir, 'zync-staging');
}

/** <statedir>/zync-backups: E's files as they were before zync-apply replaced or deleted them. */
export function backupRootFor(stateDir: string): string {
  return nodePath.join(stateDir, 'zync-backups');
}

export interface UpstreamPortOptions {
  store: DaemonStore;
  stateDir: string;
  dirs: readonly DirSpec[];
  log: Logger;
  limits?: Partial<StagingLimits>;
  /** Received upstream bytes waiting for the disk above which a socket is paused (8 MiB). */
  highWaterBytes?: number;
  /** False while the watcher holds a root (vanished or emptied: RootSet's `available`); absent: only a missing root is refused. */
  rootAvailable?: (baseDir: string) => boolean;
}

export function createUpstreamPort(options: UpstreamPortOptions): UpstreamPort {
  const { store, dirs, log } = options;
  const stateDir = nodePath.resolve(options.stateDir);
  const stagingRoot = stagingRootFor(stateDir);
  const staging = new StagingStore(store.db);
  const now = Date.now();
  for (const s of staging.sessionsWithStatus('in_progress')) {
    staging.abortSession(s.staging_id, "the daemon stopped before R's upload finished", now);
    log.warn({ staging_id: s.staging_id }, 'aborted an upstream session left unfinished by a previous run');
  }
  // Only complete sessions keep staged bytes; an aborted or applied session's directory is what
  // an interrupted cleanup left. A directory this database has no row for is left alone: it is
  // another database's in the same state directory (--db), or a deleted one's (its rows come
  // before its directory), and may hold R's only copy of an edit.
  let leftovers: string[] = [];
  try {
    leftovers = readdirSync(stagingRoot);
  } catch {
    // no staging directory yet
  }
  let removed = 0;
  for (const name of leftovers) {
    const status = staging.getSession(name)?.status;
    if (status === undefined || status === 'complete') continue;
    rmSync(nodePath.join(stagingRoot, name), { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0) {
    log.info(`removed ${removed} staging director${removed === 1 ? 'y' : 'ies'} of sessions that were aborted or applied (left by an interrupted cleanup)`);
  }
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const limits: StagingLimits = { ...DEFAULT_LIMITS, ...options.limits };
  /**
   * ROOT_UNAVAILABLE for a root that is missing (moved away, not mounted) or held by the watcher:
   * classified against it, every entry would look deleted on E. Looked at on disk too, since the
   * watcher may not have seen it go yet.
   */
  const refuseUnavailableRoot = async (baseDir: string, root: string): Promise<void> => {
    if ((await stat(root).catch(() => null))?.isDirectory() !== true) throw rootUnavailableError(baseDir, 'missing');
    if (options.rootAvailable?.(baseDir) === false) throw rootUnavailableError(baseDir, 'held');
  };
  const currentContent = async (baseDir: string, path: string, _kind: EntryKind): Promise<string | null> => {
    const root = roots.get(baseDir);
    if (root === undefined) throw new ZyncError('UNKNOWN_BASE_DIR', `Base dir "${baseDir}" is not served by this daemon.`);
    const recorded = store.getFile(baseDir, path);
    // A file R sent over a directory of E's is a conflict like any other: zync-apply lets R's file
    // replace an empty directory and keeps one that holds files.
    try {
      return contentToken(await readCurrentEntry(root, path, { recorded }));
    } catch (err) {
      // The root went after checkPath looked (resolveInRoot's realpath fails): said as such.
      await refuseUnavailableRoot(baseDir, root);
      throw err;
    }
  };
  const live = new Set<StagingConnection>();
  return {
    openConnection(ctx: UpstreamContext): UpstreamConnection {
      // Each connection reads the roots' .zyncignore afresh: a path E does not sync (.git/...)
      // is never staged, so zync-apply can never write there.
      const matchers = new Map<string, Promise<IgnoreMatcher>>();
      const checkPath = async (baseDir: string, path: string, kind: EntryKind): Promise<void> => {
        const root = roots.get(baseDir);
        if (root === undefined) throw new ZyncError('UNKNOWN_BASE_DIR', `Base dir "${baseDir}" is not served by this daemon.`);
        // Before the rules: a missing root has none, and an empty set of them must not be kept.
        await refuseUnavailableRoot(baseDir, root);
        let matcher = matchers.get(baseDir);
        if (!matcher) {
          // One E cannot read refuses the entries (nothing unchecked is staged), as E's trouble:
          // not BAD_ARGUMENT, which R would report as its own bad arguments (exit 2), and said
          // once in E's log, where it can be fixed.
          matcher = loadIgnoreMatcher(root).catch((err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            ctx.log.error({ base_dir: baseDir }, message);
            throw new ZyncError('ROOT_UNAVAILABLE', message, { cause: err });
          });
          matchers.set(baseDir, matcher);
        }
        if ((await matcher)(path, kind === 'dir')) {
          // Its own code: R leaves such an entry out and stages the rest (R's copy of .zyncignore may be older).
          throw new ZyncError('IGNORED_PATH', `Refused path ${JSON.stringify(path)}: E's ignore rules exclude it from syncing.`);
        }
      };
      const connection = createStagingConnection(ctx, {
        checkPath,
        store: staging,
        stagingRoot,
        knownDirs: new Set(roots.keys()),
        currentContent,
        copiesOnE: copiesOnE(store, roots, { store: staging, stagingRoot, clientId: ctx.clientId }),
        limits,
        ...(options.highWaterBytes === undefined ? {} : { highWaterBytes: options.highWaterBytes }),
      });
      live.add(connection);
      // Forget a connection once it is closed and idle (a long-running daemon sees many).
      return {
        handleRequest: (req) => connection.handleRequest(req),
        handleBinary: (id, payload) => connection.handleBinary(id, payload),
        close: () => {
          connection.close();
          void connection.idle().then(() => live.delete(connection));
        },
      };
    },

    sessionStates(clientId, stagingIds) {
      const found = new Map(staging.sessionsOfClient(clientId, stagingIds).map((s) => [s.staging_id, s]));
      return [...new Set(stagingIds)].map((id) => {
        const session = found.get(id) ?? null;
        const state = sessionState(session);
        const from = state === 'applied' ? (session?.applied_from ?? null) : null;
        return { staging_id: id, state, ...(from === null ? {} : { applied_from: from }) };
      });
    },

    /** Shutdown: every connection was closed; wait until their writes, records and cleanups end. */
    async close(): Promise<void> {
      for (const connection of [...live]) connection.close();
      await Promise.all([...live].map((c) => c.idle()));
      live.clear();
    },
  };
}
