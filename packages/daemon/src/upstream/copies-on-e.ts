// E's own copies of an upstream file's content, each as a reader of its bytes, for staging to copy
// instead of R sending them (UPSTREAM_FILE's from_e: R renamed or copied a file E already holds):
// first the live files the change log records with its checksum and size, then the staged files of
// the same client's sessions still waiting for zync-apply (R sent that content before). The
// log may be behind the disk, and a waiting session may be applied or discarded meanwhile (its
// staged files removed), so a reader promises nothing about what it yields: staging hashes the
// copy and passes over one that does not match. Reads through no symbolic link and never blocks
// on a FIFO; must not write anything.
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { resolveInRoot, ZyncError } from '@zync/common';
import type { DaemonStore } from '../store/daemon-store.js';
import type { StagingStore } from './staging-store.js';

/** One of E's files recorded with the content sought. */
export interface CopySource {
  /** base_dir/path, or the staged file's session and blob, for the log. */
  what: string;
  /** Its first `size` bytes, streamed (fewer if it shrank); rejects if it cannot be read as a regular file. */
  read(): AsyncIterable<Uint8Array>;
}

/** Copies tried per entry, of each kind: more than one only helps when the first changed since it was recorded. */
const MAX_SOURCES = 3;

/** Where staged content lives: the staging store and <statedir>/zync-staging; whose sessions count. */
export interface StagedCopies {
  store: Pick<StagingStore, 'waitingBlobsWithChecksum'>;
  stagingRoot: string;
  clientId: string;
}

export function copiesOnE(store: Pick<DaemonStore, 'liveFilesWithChecksum'>, roots: ReadonlyMap<string, string>, staged?: StagedCopies) {
  return (checksum: string, size: number): CopySource[] => [
    ...store.liveFilesWithChecksum(checksum, size, MAX_SOURCES).flatMap(({ base_dir, path }) => {
      const root = roots.get(base_dir);
      return root === undefined ? [] : [{ what: `${base_dir}/${path}`, read: () => readPrefix(root, path, size) }];
    }),
    ...(staged?.store.waitingBlobsWithChecksum(staged.clientId, checksum, size, MAX_SOURCES) ?? []).map(({ staging_id, blob }) => ({
      what: `staged ${staging_id}/${blob}`,
      // The row names the blob (the daemon wrote it there): one plain name, never a path.
      read: () => readStaged(nodePath.join(staged!.stagingRoot, staging_id), blob, size),
    })),
  ];
}

async function* readPrefix(root: string, path: string, size: number): AsyncGenerator<Uint8Array> {
  yield* readOpened(await resolveInRoot(root, path), path, size);
}

async function* readStaged(dir: string, blob: string, size: number): AsyncGenerator<Uint8Array> {
  if (blob !== nodePath.basename(blob) || blob === '..' || blob === '.') throw new ZyncError('FILE_CHANGED', `staged blob ${blob} is not a plain name.`);
  yield* readOpened(nodePath.join(dir, blob), blob, size);
}

async function* readOpened(abs: string, what: string, size: number): AsyncGenerator<Uint8Array> {
  // O_NONBLOCK: a FIFO put there since it was recorded would block the open; O_NOFOLLOW: a link
  // would read its target.
  const handle = await open(abs, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new ZyncError('FILE_CHANGED', `${what} is no longer a regular file on E.`);
    yield* handle.createReadStream({ start: 0, end: size - 1, highWaterMark: 256 * 1024, autoClose: false }) as AsyncIterable<Buffer>;
  } finally {
    await handle.close();
  }
}
