// Temp dirs, deterministic file content and whole-tree comparison for end-to-end tests.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, expect } from 'vitest';

const created: string[] = [];
// Asynchronous, with room to spare: a synchronous rm of a 100k-file tree on a loaded machine
// blocked the test worker past vitest's RPC timeout and this hook's default 60 s.
afterAll(async () => {
  for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
}, 300_000);

/** A fresh temp dir, removed after the test file finishes. */
export function tempDir(prefix = 'zync-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Writes `bytes` of random content, 1 MiB at a time, creating parent dirs. */
export async function writeRandomFile(file: string, bytes: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'w');
  try {
    const block = randomBytes(Math.min(bytes, 1024 * 1024));
    let left = bytes;
    while (left > 0) {
      const n = Math.min(left, block.length);
      // Vary the block per write so the file is not one repeated pattern.
      block.writeUInt32LE(left >>> 0, 0);
      await handle.write(block, 0, n);
      left -= n;
    }
  } finally {
    await handle.close();
  }
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export interface TreeEntry {
  kind: 'file' | 'dir';
  sha256?: string;
  size?: number;
  executable?: boolean;
}

const isZyncTemp = (name: string) => name.startsWith('.zync-tmp-');
const HOLDING_DIR = '.zync-tmp-deleted';
const isConflictCopy = (name: string) => name.includes('.zync-conflict-');

/**
 * Every file and directory below root, by relative POSIX path. zync's temp files are always
 * left out; conflict copies only when `includeConflictCopies` is false (the default).
 */
export async function treeDigest(
  root: string,
  options: { includeConflictCopies?: boolean; ignore?: (rel: string) => boolean } = {},
): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  const digestFile = async (abs: string): Promise<TreeEntry> => {
    const info = await stat(abs);
    return { kind: 'file', size: info.size, sha256: await sha256File(abs), executable: (info.mode & 0o100) !== 0 };
  };
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = (await readdir(dir, { withFileTypes: true })).filter(
      (entry) => !isZyncTemp(entry.name) && (options.includeConflictCopies || !isConflictCopy(entry.name)),
    );
    const relOf = (name: string) => (rel ? `${rel}/${name}` : name);
    // A directory's files are read a few at a time (one at a time made polling a big tree with
    // sameTree slow); entries are still inserted in readdir order, so callers see the same order.
    const files = new Map<string, TreeEntry>();
    const names = entries.filter((e) => e.isFile() && !options.ignore?.(relOf(e.name))).map((e) => e.name);
    for (let i = 0; i < names.length; i += DIGEST_PARALLEL) {
      const chunk = names.slice(i, i + DIGEST_PARALLEL);
      const digests = await Promise.all(chunk.map((name) => digestFile(path.join(dir, name))));
      chunk.forEach((name, j) => files.set(name, digests[j]!));
    }
    for (const entry of entries) {
      const childRel = relOf(entry.name);
      if (options.ignore?.(childRel)) continue;
      if (entry.isDirectory()) {
        out[childRel] = { kind: 'dir' };
        await walk(path.join(dir, entry.name), childRel);
      } else if (entry.isFile()) {
        out[childRel] = files.get(entry.name)!;
      }
    }
  }
  await walk(root, '');
  return out;
}

/** Files treeDigest reads at once: enough to keep the thread pool busy, few open descriptors. */
const DIGEST_PARALLEL = 16;

/** Asserts that two trees hold the same paths with the same bytes and exec bits. */
export async function expectSameTree(actualRoot: string, expectedRoot: string): Promise<void> {
  const [actual, expected] = await Promise.all([treeDigest(actualRoot), treeDigest(expectedRoot)]);
  expect(actual).toEqual(expected);
}

/** true when both trees match (for waitFor). */
export async function sameTree(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([treeDigest(a), treeDigest(b)]);
  return JSON.stringify(sortKeys(x)) === JSON.stringify(sortKeys(y));
}

function sortKeys(o: Record<string, TreeEntry>): [string, TreeEntry][] {
  return Object.keys(o)
    .sort()
    .map((k) => [k, o[k]!]);
}

/** Names in a directory that are zync temp files (there should be none after a clean stop). */
export async function findTempFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      // A running client's holding area holds whole files it deleted, no temp file (held-after-delete.test.ts).
      if (dir === root && entry.name === HOLDING_DIR) continue;
      if (isZyncTemp(entry.name)) found.push(abs);
      else if (entry.isDirectory()) await walk(abs);
    }
  }
  await walk(root);
  return found;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Regular files below root that are not zync temp files (cheap: names only), for polling while a client runs. */
export async function countLanded(root: string): Promise<number> {
  let count = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.isDirectory()) await walk(path.join(dir, entry.name));
        else if (entry.isFile() && !entry.name.startsWith('.zync-tmp-')) count++;
      }),
    );
  };
  await walk(root);
  return count;
}

/** Writes a token file as an editor or `install -m 600` would: a new file renamed over the old one. */
export async function writeTokenFile(file: string, token: string, mode = 0o600): Promise<void> {
  const temp = `${file}.new`;
  await writeFile(temp, `${token}\n`, { mode });
  await chmod(temp, mode);
  await rename(temp, file);
}
