// The shell around core/kept-dirs.ts: reads what R's disk holds at each directory E deleted and
// R kept, removes those the plan says hold nothing any more (rmdir, which fails on a directory
// that meanwhile got something), makes the removals durable, and only then drops their records.
// Runs after a pass that reached the end of the log. Writes nothing but those rmdirs.
import { readdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import type { Logger } from '@zync/common';
import { planKeptDirs, type KeptDirState } from './core/kept-dirs.js';
import { entryKeyString, type EntryKey } from './core/types.js';
import { lstatState, type LocalTree } from './local-tree.js';
import type { ClientStore } from './store/client-store.js';

/** What R's disk holds at a kept directory, through real directories only. */
function inspect(tree: LocalTree, key: EntryKey): KeptDirState['local'] {
  if (!tree.has(key.base_dir)) return { kind: 'unknown' }; // a root this run does not sync
  let abs: string;
  try {
    abs = tree.resolve(key.base_dir, key.path);
  } catch {
    return { kind: 'absent' }; // a directory above it is a symbolic link now: not there
  }
  const state = lstatState(abs);
  if (state.kind === 'absent') return state;
  if (state.kind !== 'dir') return { kind: 'other' };
  try {
    return { kind: 'dir', names: readdirSync(abs) };
  } catch {
    return { kind: 'unknown' };
  }
}

/** Removes the kept directories that hold nothing any more; returns how many. */
export async function pruneKeptDirs(store: ClientStore, tree: LocalTree, logger: Logger): Promise<number> {
  const kept = store.keptDirs();
  if (kept.length === 0) return 0;
  tree.resetCache();
  const recorded = store.getEntries(kept);
  const plan = planKeptDirs(kept.map((key) => ({ ...key, recordedByE: recorded.has(entryKeyString(key)), local: inspect(tree, key) })));
  const removed: EntryKey[] = [];
  const movedTo = new Map(kept.flatMap((k) => (k.movedTo ? [[entryKeyString(k), k.movedTo] as const] : [])));
  for (const key of plan.remove) {
    try {
      const abs = tree.resolve(key.base_dir, key.path);
      await rmdir(abs);
      tree.forgetDir(abs);
      tree.touch(abs);
      removed.push(key);
      // A deletion as far as R could tell may have been a move whose add R had not seen yet (a
      // later page of E's log, or logged later): only "E no longer has it" is sure then.
      const to = movedTo.get(entryKeyString(key));
      const what = to ? `E moved it to ${to.base_dir}/${to.path}` : 'E no longer has it';
      logger.info(`removed directory ${key.base_dir}/${key.path}: ${what}, and it no longer holds anything of R's`);
    } catch (err) {
      // ENOTEMPTY: R put something there since it was listed (or a kept directory below it
      // stayed). Kept, and looked at again next time.
      logger.debug({ code: (err as NodeJS.ErrnoException).code }, `kept directory ${key.base_dir}/${key.path} stays for now`);
    }
  }
  await tree.syncTouchedDirs();
  store.commitBatch({ upserts: [], removals: [], unkept: [...plan.forget, ...removed] });
  return removed.length;
}
