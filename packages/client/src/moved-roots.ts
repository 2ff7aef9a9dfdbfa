// The shell of core/moved-roots.ts: for each root --dirs gives a new place that received files at
// its old one, looks at both places (an lstat per recorded file, nothing read) and says whether it
// is the same tree, moved. Reads only; the caller keeps or drops the records
// (ClientStore.bindRoots). Memory: a page of records.
import * as nodePath from 'node:path';
import type { Logger } from '@zync/common';
import { droppedRecordsWarning, enoughProven, isSameTreeMoved, keptRecordsNote, stillThere, writtenByR, type MovedTreeEvidence } from './core/moved-roots.js';
import { diskOf, lstatState } from './local-tree.js';
import type { ClientStore } from './store/client-store.js';

/** The names whose records are kept at their new place; says for each moved root what was decided. */
export async function findMovedTrees(
  dirs: readonly { name: string; root: string }[],
  store: ClientStore,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const kept = new Set<string>();
  for (const dir of dirs) {
    const from = store.boundRoot(dir.name);
    if (from === undefined || from === dir.root || !store.hasRecords(dir.name)) continue;
    const evidence = await weigh(dir.name, from, dir.root, store, signal);
    if (isSameTreeMoved(evidence)) {
      kept.add(dir.name);
      logger.info(keptRecordsNote(evidence));
    } else if (evidence.recordedFiles > 0) {
      logger.warn(droppedRecordsWarning(evidence));
    }
  }
  return kept;
}

/**
 * What a root back at its place after a running client held it as gone holds of R's files
 * (core/vanished-roots.ts, isSameTreeBack): its old place is its place, so only what is proven
 * there counts.
 */
export function weighReturn(name: string, root: string, store: ClientStore): Promise<MovedTreeEvidence> {
  return weigh(name, root, root, store);
}

async function weigh(name: string, from: string, to: string, store: ClientStore, signal?: AbortSignal): Promise<MovedTreeEvidence> {
  const recordedFiles = store.receivedFileCount(name);
  const evidence: MovedTreeEvidence = { name, from, to, recordedFiles, stillAtOldPlace: 0, provenAtNewPlace: 0 };
  // Inodes say something only on the disk they were recorded on.
  const recordedDev = store.rootDisk(name)?.dev;
  if (recordedDev === undefined) return { ...evidence, diskUnknown: true };
  const onRecordedDisk = (root: string) => diskOf(root)?.dev === recordedDev;
  const oldThere = from !== to && lstatState(from).kind === 'dir' && onRecordedDisk(from);
  const newOnDisk = onRecordedDisk(to);
  if (!newOnDisk || lstatState(to).kind !== 'dir') return evidence;
  let looked = 0;
  for (const page of store.receivedFilePages(name)) {
    signal?.throwIfAborted();
    for (const recorded of page) {
      // Too few left to prove half: another directory, whatever the rest holds.
      if (!enoughProven(evidence.provenAtNewPlace + recordedFiles - looked, recordedFiles)) return evidence;
      looked++;
      if (oldThere && stillThere(recorded, lstatState(nodePath.join(from, recorded.path)), true)) {
        evidence.stillAtOldPlace++;
        return evidence;
      }
      if (writtenByR(recorded, lstatState(nodePath.join(to, recorded.path)), true)) evidence.provenAtNewPlace++;
    }
  }
  return evidence;
}
