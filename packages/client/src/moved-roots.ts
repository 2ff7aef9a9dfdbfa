// The shell of core/moved-roots.ts: for each root --dirs gives a new place that received files at
// its old one, looks at both places (an lstat per recorded file; a hash only where the inode
// cannot vouch, the size matches, and half is not proven yet or the file is older than what R
// received) and says whether it is the same tree, moved. Reads only;
// the caller keeps or drops the records (ClientStore.bindRoots). Memory: a page of records.
import * as nodePath from 'node:path';
import { hashFile, type Logger } from '@zync/common';
import { droppedRecordsWarning, enoughProven, isSameTreeMoved, keptRecordsNote, olderThanReceived, proofOf, stillThere, type MovedTreeEvidence } from './core/moved-roots.js';
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

async function weigh(name: string, from: string, to: string, store: ClientStore, signal?: AbortSignal): Promise<MovedTreeEvidence> {
  const recordedFiles = store.receivedFileCount(name);
  const evidence: MovedTreeEvidence = { name, from, to, recordedFiles, stillAtOldPlace: 0, provenAtNewPlace: 0, olderAtNewPlace: 0 };
  // Inodes say something only on the disk they were recorded on (no disk recorded: an older state).
  const recordedDev = store.rootDisk(name)?.dev;
  const onRecordedDisk = (root: string) => recordedDev !== undefined && diskOf(root)?.dev === recordedDev;
  const oldThere = lstatState(from).kind === 'dir' && onRecordedDisk(from);
  const newOnDisk = onRecordedDisk(to);
  if (lstatState(to).kind !== 'dir') return evidence;
  let looked = 0;
  const hashes = async (abs: string): Promise<string | undefined> =>
    (
      await hashFile(abs, signal).catch((err: unknown) => {
        if (signal?.aborted) throw err;
        return undefined; // changed or unreadable meanwhile: proves nothing
      })
    )?.checksum;
  for (const page of store.receivedFilePages(name)) {
    for (const recorded of page) {
      // Too few left to prove half: another directory, whatever the rest holds.
      if (!enoughProven(evidence.provenAtNewPlace + recordedFiles - looked, recordedFiles)) return evidence;
      looked++;
      if (oldThere && stillThere(recorded, lstatState(nodePath.join(from, recorded.path)), true)) {
        evidence.stillAtOldPlace++;
        return evidence;
      }
      const abs = nodePath.join(to, recorded.path);
      const local = lstatState(abs);
      const proof = proofOf(recorded, local, newOnDisk);
      if (proof === 'same') {
        evidence.provenAtNewPlace++;
        continue;
      }
      // Every file older than what R received is looked at (a stat each); a newer one is hashed
      // only while half is not proven yet.
      const older = olderThanReceived(recorded, local);
      const proven = proof === 'hash' && (older || !enoughProven(evidence.provenAtNewPlace, recordedFiles)) && (await hashes(abs)) === recorded.checksum;
      if (proven) evidence.provenAtNewPlace++;
      else if (older) {
        evidence.olderAtNewPlace++;
        return evidence;
      }
    }
  }
  return evidence;
}
