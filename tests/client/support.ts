// Helpers for the client's end-to-end tests: running zync-client against a daemon, waiting until
// the daemon's log describes E's tree (so a --once pass has something definite to converge to),
// and building trees quickly.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { expect } from 'vitest';
import {
  connect,
  runCli,
  spawnCli,
  startDaemon,
  tempDir,
  treeDigest,
  waitFor,
  type CliResult,
  type DaemonHandle,
  type SpawnedCli,
} from '../helpers/index.js';

/** A daemon database path in a temp dir removed after the test file (the daemon's state dir). */
export function stateDb(): string {
  return path.join(tempDir('zync-state-'), 'sync.db');
}

export interface ClientSetup {
  daemon: DaemonHandle;
  /** NAME:LOCALPATH pairs. */
  dirs: Record<string, string>;
  db: string;
}

export function clientArgs(setup: ClientSetup, extra: readonly string[] = []): string[] {
  return [
    '--server', setup.daemon.url,
    '--token', setup.daemon.token,
    '--db', setup.db,
    '--dirs', ...Object.entries(setup.dirs).map(([name, root]) => `${name}:${root}`),
    ...extra,
  ];
}

export function runClientOnce(setup: ClientSetup, extra: readonly string[] = []): Promise<CliResult> {
  return runCli('client', clientArgs(setup, ['--once', ...extra]), { timeoutMs: 110_000 });
}

export interface SyncedPair {
  e: string;
  r: string;
  daemon: DaemonHandle;
  setup: ClientSetup;
}

/**
 * The start most end-to-end tests share: E (filled by `prepareE`), a daemon serving it as
 * "docs", and R synced from it once with `--once` (which must succeed). Stop `daemon` after.
 */
export async function syncedPair(prepareE: (e: string) => Promise<void> = async () => undefined): Promise<SyncedPair> {
  const e = tempDir('zync-e-');
  const r = tempDir('zync-r-');
  await prepareE(e);
  const daemon = await startDaemon({ dirs: { docs: e } });
  const setup: ClientSetup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  const first = await runClientOnce(setup);
  expect(first.code, first.stderr).toBe(0);
  return { e, r, daemon, setup };
}

/**
 * E serving "docs" and "code", synced to R once; then E's "docs" is moved away (to `docs.moved`)
 * while the daemon runs, and the daemon has reported it missing.
 */
export interface TwoRootPair {
  daemon: DaemonHandle;
  setup: ClientSetup;
  e: Record<'docs' | 'code', string>;
  r: Record<'docs' | 'code', string>;
}

export async function pairWithEDocsMoved(): Promise<TwoRootPair> {
  const eParent = tempDir('zync-e-');
  const rParent = tempDir('zync-r-');
  const e = { docs: path.join(eParent, 'docs'), code: path.join(eParent, 'code') };
  const r = { docs: path.join(rParent, 'docs'), code: path.join(rParent, 'code') };
  for (const name of ['docs', 'code'] as const) {
    await mkdir(e[name]);
    await writeFile(path.join(e[name], `${name}1.txt`), `${name} v1\n`);
  }
  const daemon = await startDaemon({ dirs: e });
  const setup: ClientSetup = { daemon, dirs: r, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
  const first = await runClientOnce(setup);
  expect(first.code, first.stderr).toBe(0);
  await rename(e.docs, `${e.docs}.moved`);
  await waitFor(() => /Root "docs" .* is missing or not a directory; its \d+ recorded entries are kept/.test(daemon.stderr()), {
    what: 'the daemon to report the root missing',
  });
  return { daemon, setup, e, r };
}

export function spawnClient(setup: ClientSetup, extra: readonly string[] = []): SpawnedCli {
  return spawnCli('client', clientArgs(setup, extra));
}

interface ViewEntry {
  kind: 'file' | 'dir';
  checksum: string | null;
  executable: boolean;
  mode: number;
}

/** The state the daemon's log describes for one base dir: every live path. */
export async function daemonView(daemon: DaemonHandle, baseDir: string): Promise<Map<string, ViewEntry>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    const view = new Map<string, ViewEntry>();
    let since = 0;
    for (;;) {
      const page = await client.request('GET_CHANGES', { since_sequence: since, limit: 5000 });
      if (page.status !== 'ok') throw new Error(`GET_CHANGES failed: ${page.error}`);
      const changes = page.changes as { operation: string; kind: 'file' | 'dir'; base_dir: string; path: string; checksum: string | null; mode: number }[];
      for (const c of changes) {
        if (c.base_dir !== baseDir) continue;
        if (c.operation === 'delete') view.delete(c.path);
        else view.set(c.path, { kind: c.kind, checksum: c.checksum, executable: (c.mode & 0o100) !== 0, mode: c.mode });
      }
      since = page.to_sequence as number;
      if (!page.more_available) return view;
    }
  } finally {
    await client.close();
  }
}

/** Waits until the daemon's log describes exactly the tree under root (paths, bytes, exec bits). */
export async function waitForDaemonToSee(daemon: DaemonHandle, baseDir: string, root: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const [view, tree] = await Promise.all([daemonView(daemon, baseDir), treeDigest(root)]);
      const problems: string[] = [];
      for (const [p, actual] of Object.entries(tree)) {
        const seen = view.get(p);
        if (!seen) problems.push(`${p} not logged`);
        else if (seen.kind !== actual.kind) problems.push(`${p} logged as a ${seen.kind}`);
        else if (actual.kind === 'file' && seen.checksum !== actual.sha256) problems.push(`${p} logged with other content`);
        else if (actual.kind === 'file' && seen.executable !== actual.executable) problems.push(`${p} logged with another exec bit`);
      }
      for (const p of view.keys()) if (!(p in tree)) problems.push(`${p} still logged as present`);
      // Thrown, so that a timeout names what the daemon has not logged.
      if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '));
      return true;
    },
    { timeoutMs, intervalMs: 50, what: `the daemon to log ${root}` },
  );
}

/**
 * Writes `count` files of 1–16 KiB of random bytes spread over nested directories
 * (`d00/s0/f0000.bin` ...), `perDir` files per leaf directory.
 */
export async function writeTree(root: string, count: number, perDir = 20): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const leaf = Math.floor(i / perDir);
    const dir = path.join(root, `d${String(Math.floor(leaf / 5)).padStart(2, '0')}`, `s${leaf % 5}`);
    const file = path.join(dir, `f${String(i).padStart(4, '0')}.bin`);
    jobs.push(
      mkdir(dir, { recursive: true }).then(() => writeFile(file, randomBytes(1024 + Math.floor(Math.random() * 15 * 1024)))),
    );
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

/** Conflict copies (relative paths) under root. */
export async function conflictCopies(root: string): Promise<string[]> {
  const tree = await treeDigest(root, { includeConflictCopies: true });
  return Object.keys(tree)
    .filter((p) => p.includes('.zync-conflict-'))
    .sort();
}
