// E's own copies of an upstream file's content: the live files the change log records with its
// checksum and size, each as a reader of its bytes, for staging to copy instead of R sending them
// (UPSTREAM_FILE's from_e: R renamed or copied a file E already holds). The log may be behind the
// disk, so a reader promises nothing about what it yields: staging hashes the copy and passes
// over one that does not match. Reads through no symbolic link and never blocks on a FIFO; must
// not write anything.
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolveInRoot, ZyncError } from '@zync/common';
import type { DaemonStore } from '../store/daemon-store.js';

/** One of E's files recorded with the content sought. */
export interface CopySource {
  /** base_dir/path, for the log. */
  what: string;
  /** Its first `size` bytes, streamed (fewer if it shrank); rejects if it cannot be read as a regular file. */
  read(): AsyncIterable<Uint8Array>;
}

/** Copies tried per entry: more than one only helps when the first changed since it was recorded. */
const MAX_SOURCES = 3;

export function copiesOnE(store: Pick<DaemonStore, 'liveFilesWithChecksum'>, roots: ReadonlyMap<string, string>) {
  return (checksum: string, size: number): CopySource[] =>
    store.liveFilesWithChecksum(checksum, size, MAX_SOURCES).flatMap(({ base_dir, path }) => {
      const root = roots.get(base_dir);
      return root === undefined ? [] : [{ what: `${base_dir}/${path}`, read: () => readPrefix(root, path, size) }];
    });
}

async function* readPrefix(root: string, path: string, size: number): AsyncGenerator<Uint8Array> {
  const abs = await resolveInRoot(root, path);
  // O_NONBLOCK: a FIFO put there since it was recorded would block the open; O_NOFOLLOW: a link
  // would read its target.
  const handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new ZyncError('FILE_CHANGED', `${path} is no longer a regular file on E.`);
    yield* handle.createReadStream({ start: 0, end: size - 1, highWaterMark: 256 * 1024, autoClose: false }) as AsyncIterable<Buffer>;
  } finally {
    await handle.close();
  }
}
