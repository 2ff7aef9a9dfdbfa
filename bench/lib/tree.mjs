// Whole-tree comparison for the benchmark: same paths, kinds, sizes, exec bits and bytes
// (SHA-256, streamed, a bounded number of files at a time). Everything on R counts, zync temp
// files and conflict copies included: after a finished sync there must be none. mtime
// differences are counted separately (reported, not a failure). Read-only.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runBounded } from './workloads.mjs';

/** Every entry below root: Map rel -> {kind, size, exec, mtimeMs}. Symlinks are listed as 'other'. */
export async function listTree(root) {
  const out = new Map();
  const walk = async (dir, rel) => {
    const entries = await readdir(dir, { withFileTypes: true });
    const subdirs = [];
    await runBounded(entries, 64, async (entry) => {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      const info = await lstat(abs);
      if (info.isDirectory()) {
        out.set(childRel, { kind: 'dir' });
        subdirs.push([abs, childRel]);
      } else if (info.isFile()) {
        out.set(childRel, { kind: 'file', size: info.size, exec: (info.mode & 0o111) !== 0, mtimeMs: info.mtimeMs });
      } else {
        out.set(childRel, { kind: 'other' });
      }
    });
    for (const [abs, childRel] of subdirs) await walk(abs, childRel);
  };
  await walk(root, '');
  return out;
}

export async function sha256File(file, size = Infinity) {
  if (size <= 4 * 1024 * 1024) return createHash('sha256').update(await readFile(file)).digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Compares R (actual) with E (expected). Returns {same, problems: string[] (first few),
 * problemCount, mtimeDiffs, files, dirs}.
 */
export async function compareTrees(expectedRoot, actualRoot) {
  const [expected, actual] = await Promise.all([listTree(expectedRoot), listTree(actualRoot)]);
  const problems = [];
  let problemCount = 0;
  const problem = (text) => {
    problemCount += 1;
    if (problems.length < 10) problems.push(text);
  };
  let mtimeDiffs = 0;
  let files = 0;
  let dirs = 0;
  const toHash = [];
  for (const [rel, want] of expected) {
    const got = actual.get(rel);
    if (want.kind === 'dir') dirs += 1;
    if (want.kind === 'file') files += 1;
    if (!got) {
      problem(`missing on R: ${rel}`);
      continue;
    }
    if (got.kind !== want.kind) {
      problem(`kind differs: ${rel} (${want.kind} on E, ${got.kind} on R)`);
      continue;
    }
    if (want.kind !== 'file') continue;
    if (got.size !== want.size) problem(`size differs: ${rel} (${want.size} on E, ${got.size} on R)`);
    else toHash.push(rel);
    if (got.exec !== want.exec) problem(`exec bit differs: ${rel}`);
    if (Math.abs(got.mtimeMs - want.mtimeMs) >= 1) mtimeDiffs += 1;
  }
  for (const rel of actual.keys()) {
    if (!expected.has(rel)) problem(`extra on R: ${rel}`);
  }
  await runBounded(toHash, 16, async (rel) => {
    const size = expected.get(rel).size;
    const [a, b] = await Promise.all([sha256File(path.join(expectedRoot, rel), size), sha256File(path.join(actualRoot, rel), size)]);
    if (a !== b) problem(`content differs: ${rel}`);
  });
  return { same: problemCount === 0, problems, problemCount, mtimeDiffs, files, dirs };
}
