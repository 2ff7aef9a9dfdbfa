// What a killed zync-apply leaves behind, found and removed when the session is applied again
// (before anything else is written): the AtomicFileWriter temp file beside a target it was
// writing into E's root, and a half-copied backup in the session's backup directory. In E's
// roots only temp names made for this session's own unfinished targets are touched (another
// process's temp files are never guessed at); the session's backup directory is the session's
// alone, so every temp file there goes.
import { readdir, unlink } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { TEMP_PREFIX, tempStemFor } from '@zync/common';

/** true when `name` is one that tempPathFor(target) makes: prefix, base name, 12 hex digits. */
export function isTempNameFor(name: string, target: string): boolean {
  const stem = tempStemFor(target);
  return name.startsWith(stem) && /^[0-9a-f]{12}$/.test(name.slice(stem.length));
}

const isGone = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Removes the temp files beside each target (absolute paths); returns how many. */
export async function removeTempFilesFor(targets: readonly string[]): Promise<number> {
  const byDir = new Map<string, string[]>();
  for (const target of targets) byDir.set(nodePath.dirname(target), [...(byDir.get(nodePath.dirname(target)) ?? []), target]);
  let removed = 0;
  for (const [dir, inDir] of byDir) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isGone(err)) continue;
      throw err;
    }
    for (const name of names) {
      if (!inDir.some((target) => isTempNameFor(name, target))) continue;
      await unlink(nodePath.join(dir, name)).catch((err: unknown) => {
        if (!isGone(err)) throw err;
      });
      removed++;
    }
  }
  return removed;
}

/** Removes every zync temp file below dir (symbolic links not followed); returns how many. */
export async function removeTempFilesBelow(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isGone(err)) return 0;
    throw err;
  }
  let removed = 0;
  for (const entry of entries) {
    const abs = nodePath.join(dir, entry.name);
    if (entry.isDirectory()) removed += await removeTempFilesBelow(abs);
    else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      await unlink(abs);
      removed++;
    }
  }
  return removed;
}
