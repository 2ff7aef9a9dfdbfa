// Retention of what upstream staging and zync-apply leave in the state directory: staged bytes of
// sessions that can no longer be applied (aborted, applied) and the backups zync-apply kept of
// E's files, once older than the retention period. A session still waiting to be applied
// (complete) or still arriving (in_progress) keeps everything, however old: its bytes are R's
// edits and its backups may belong to an apply that was interrupted. planRetention decides
// (pure); removeExpiredUpstreamFiles lists the directories and deletes. A directory with no row
// in this database is never removed: several databases may share a state directory. Rows are left alone:
// `zync-apply list --all` keeps showing the history.
import { readdir, rm, stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import type { SessionStatus, StagingStore } from './staging-store.js';

/** A directory named after a staging_id, below zync-staging/ or zync-backups/. */
export interface SessionDir {
  name: string;
  /** Last modification of the directory itself, ms since the epoch. */
  mtime: number;
}

export interface RetentionInput {
  staging: readonly SessionDir[];
  backups: readonly SessionDir[];
  /** The session rows by staging_id (absent: no row, an orphan). */
  sessions: ReadonlyMap<string, { status: SessionStatus; updated: number }>;
  now: number;
  retentionMs: number;
}

export interface RetentionPlan {
  staging: string[];
  backups: string[];
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const cutoff = input.now - input.retentionMs;
  const expired = (dir: SessionDir): boolean => {
    const session = input.sessions.get(dir.name);
    // No row: another database's in the same state directory, or a deleted database's. Never
    // this database's to remove (it may be a session waiting in the other one).
    if (!session) return false;
    if (session.status === 'complete' || session.status === 'in_progress') return false;
    return session.updated < cutoff;
  };
  return {
    staging: input.staging.filter(expired).map((d) => d.name),
    backups: input.backups.filter(expired).map((d) => d.name),
  };
}

async function listSessionDirs(root: string): Promise<SessionDir[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return []; // nothing staged or backed up yet
  }
  const dirs: SessionDir[] = [];
  for (const name of names) {
    const info = await stat(nodePath.join(root, name)).catch(() => null);
    if (info?.isDirectory()) dirs.push({ name, mtime: info.mtimeMs });
  }
  return dirs;
}

/** Removes expired staging leftovers and backups; returns what was removed (relative to stateDir). */
export async function removeExpiredUpstreamFiles(options: {
  stagingRoot: string;
  backupRoot: string;
  staging: StagingStore;
  retentionMs: number;
  now?: number;
}): Promise<string[]> {
  const [staging, backups] = await Promise.all([listSessionDirs(options.stagingRoot), listSessionDirs(options.backupRoot)]);
  if (staging.length === 0 && backups.length === 0) return [];
  const sessions = new Map<string, { status: SessionStatus; updated: number }>();
  for (const name of new Set([...staging, ...backups].map((d) => d.name))) {
    const session = options.staging.getSession(name);
    if (session) sessions.set(name, session);
  }
  const plan = planRetention({ staging, backups, sessions, now: options.now ?? Date.now(), retentionMs: options.retentionMs });
  const removed: string[] = [];
  for (const [root, names] of [[options.stagingRoot, plan.staging], [options.backupRoot, plan.backups]] as const) {
    for (const name of names) {
      await rm(nodePath.join(root, name), { recursive: true, force: true });
      removed.push(nodePath.join(nodePath.basename(root), name));
    }
  }
  return removed;
}
