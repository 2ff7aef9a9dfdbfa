// Walks R's local roots for --update-upstream: every regular file and directory that is synced
// (ignore rules, zync temp files and conflict copies left out; symbolic links and special files
// skipped), files with the stat the planner compares against. Ignored directories are not
// descended into; directories R's user may not read are reported, and what lies below them is
// unknown, not deleted. Names that cannot cross the wire (a backslash, a control character:
// isSafeRelativePath; bytes that are not UTF-8) are reported and left out, with all below them:
// E never had them.
// Reads only; decides nothing about what changed (plan-upstream.ts does).
import { lstat, readdir } from 'node:fs/promises';
import * as nodePath from 'node:path';
import {
  hashFile,
  isNotPermitted,
  isSafeRelativePath,
  listNonUtf8Names,
  loadIgnoreMatcher,
  mayBeNonUtf8,
  type DirSpec,
  type IgnoreMatcher,
} from '@zync/common';
import type { DirPath, HashedFile, LocalFile } from './plan-upstream.js';

const STAT_BATCH = 64;

export interface ScanResult {
  files: LocalFile[];
  /** Directories below the roots (not the roots themselves). */
  dirs: DirPath[];
  /** Directories (roots included) that could not be listed: EACCES or EPERM. */
  unreadable: (DirPath & { code: string })[];
  /** Files and directories left out because their names cannot cross the wire. */
  unsendable: DirPath[];
  /** Names left out because they are not UTF-8: the directory they are in, and the name's bytes. */
  nonUtf8: { base_dir: string; dir: string; name: Buffer }[];
  matchers: Map<string, IgnoreMatcher>;
}

export async function scanLocalRoots(dirs: readonly DirSpec[]): Promise<ScanResult> {
  const files: LocalFile[] = [];
  const found: DirPath[] = [];
  const unreadable: ScanResult['unreadable'] = [];
  const unsendable: DirPath[] = [];
  const nonUtf8: ScanResult['nonUtf8'] = [];
  const matchers = new Map<string, IgnoreMatcher>();
  for (const dir of dirs) {
    const ignored = await loadIgnoreMatcher(dir.root);
    matchers.set(dir.name, ignored);
    const walk = async (abs: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while we walked
        if (isNotPermitted(code)) {
          unreadable.push({ base_dir: dir.name, path: rel, code });
          return;
        }
        throw err;
      }
      const subdirs: [string, string][] = [];
      const candidates: [string, string][] = [];
      let literal: ReadonlySet<string> | null | undefined; // looked up once per listing, when needed
      for (const entry of entries) {
        if (mayBeNonUtf8(entry.name)) {
          // Not UTF-8: the decoded name leads nowhere (a directory would go up as a new, empty one).
          if (literal === undefined) {
            const listing = listNonUtf8Names(abs);
            for (const name of listing?.nonUtf8 ?? []) nonUtf8.push({ base_dir: dir.name, dir: rel, name });
            literal = listing?.literal ?? null;
          }
          if (!literal?.has(entry.name)) continue;
        }
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        if ((entry.isDirectory() || entry.isFile()) && !isSafeRelativePath(childRel)) {
          if (!ignored(childRel, entry.isDirectory())) unsendable.push({ base_dir: dir.name, path: childRel });
          continue;
        }
        if (entry.isDirectory()) {
          if (!ignored(childRel, true)) subdirs.push([nodePath.join(abs, entry.name), childRel]);
        } else if (entry.isFile() && !ignored(childRel, false)) {
          candidates.push([nodePath.join(abs, entry.name), childRel]);
        }
      }
      for (let i = 0; i < candidates.length; i += STAT_BATCH) {
        const stats = await Promise.all(
          candidates.slice(i, i + STAT_BATCH).map(async ([fileAbs, fileRel]) => {
            try {
              const info = await lstat(fileAbs);
              if (!info.isFile()) return null;
              return { base_dir: dir.name, path: fileRel, size: info.size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino };
            } catch {
              return null;
            }
          }),
        );
        for (const s of stats) if (s) files.push(s);
      }
      for (const [subAbs, subRel] of subdirs) {
        const info = await lstat(subAbs).catch(() => null);
        found.push({ base_dir: dir.name, path: subRel, ...(info?.isDirectory() ? { mode: info.mode & 0o7777 } : {}) });
        await walk(subAbs, subRel);
      }
    };
    await walk(dir.root, '');
  }
  return { files, dirs: found, unreadable, unsendable, nonUtf8, matchers };
}

/**
 * Hashes the suspects, a few at a time. A file that vanished meanwhile is left out (it will
 * show up as a deletion next time if it had been received), and so is one R's user may not
 * read (reported through `unreadable`): its content cannot be sent.
 */
export async function hashSuspects(
  dirs: readonly DirSpec[],
  suspects: readonly LocalFile[],
  unreadable: (file: LocalFile, code: string) => void,
  concurrency = 4,
): Promise<HashedFile[]> {
  const roots = new Map(dirs.map((d) => [d.name, d.root]));
  const out: HashedFile[] = [];
  let next = 0;
  const worker = async () => {
    while (next < suspects.length) {
      const file = suspects[next++]!;
      const abs = nodePath.join(roots.get(file.base_dir)!, ...file.path.split('/'));
      try {
        const { checksum, size } = await hashFile(abs);
        const info = await lstat(abs);
        // Use the stat taken after hashing: if the file changed during the hash, the daemon's
        // checksum check on upload catches the mismatch and nothing is staged.
        out.push({ ...file, checksum, size, mtime: info.mtimeMs, mode: info.mode & 0o7777, ino: info.ino });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (isNotPermitted(code)) unreadable(file, code);
        else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, suspects.length) }, worker));
  return out;
}
