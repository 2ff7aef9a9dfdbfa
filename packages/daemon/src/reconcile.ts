// Brings the log in line with a root (or one subtree) as it is on disk now: scan, compare with
// the recorded state (diffScan), guard against a vanished or emptied root (checkRoot), hash only
// the candidates, and return the inputs to record. Used by the start-up scan, by the watcher for
// new or removed directories, and when a root returns or its .zyncignore changes. Records nothing
// itself: the caller commits the inputs in one transaction.
import { stat } from 'node:fs/promises';
import type { Logger } from '@zync/common';
import { diffScan } from './core/diff-scan.js';
import { unreadableInput, type ChangeInput } from './core/entries.js';
import { checkRoot, type RootVerdict } from './core/root-guard.js';
import type { SkippedNames } from './skipped-names.js';
import type { Root } from './roots.js';
import { hashStable, scanTree } from './scanner.js';
import type { DaemonStore } from './store/daemon-store.js';

export interface ReconcileResult {
  inputs: ChangeInput[];
  /** Files and directories found. */
  files: number;
  dirs: number;
  /** Files whose content was read. */
  hashed: number;
  /** Files that kept changing while read; look at them again later. */
  unsettled: string[];
  verdict: RootVerdict;
}

const HASH_BUFFER_BYTES = 1024 * 1024;

export async function reconcile(options: {
  store: DaemonStore;
  root: Root;
  /** A subtree to look at ('' or absent: the whole root). */
  under?: string;
  log: Logger;
  /** Reports names zync does not sync, once per run; without it a bad UTF-8 name goes quietly and a backslash warns each time. */
  skippedNames?: SkippedNames;
}): Promise<ReconcileResult> {
  const { store, root, log, skippedNames } = options;
  const under = options.under || undefined;
  const result: ReconcileResult = { inputs: [], files: 0, dirs: 0, hashed: 0, unsettled: [], verdict: { status: 'ok' } };

  const rootPresent = (await stat(root.root).catch(() => null))?.isDirectory() === true;
  const recorded = store.liveRecords(root.name, under);
  if (!rootPresent) {
    result.verdict = checkRoot({ base_dir: root.name, root: root.root, rootPresent, scannedEntries: null, recordedLive: store.liveCount(root.name) });
    return result;
  }

  const reported = skippedNames && {
    checkUtf8: (dir: string) => skippedNames.check(root.name, root.root, dir),
    onUnsyncableName: (rel: string) => skippedNames.unsyncable(root.name, rel),
  };
  const scan = await scanTree(root.root, root.matcher, { under, log, ...reported });
  for (const e of scan.entries) {
    if (e.kind === 'dir') result.dirs++;
    else result.files++;
  }
  if (under === undefined) {
    result.verdict = checkRoot({ base_dir: root.name, root: root.root, rootPresent, scannedEntries: scan.entries.length, recordedLive: recorded.size });
    if (result.verdict.status !== 'ok') return result;
  }

  const plan = diffScan({ base_dir: root.name, scanned: scan.entries, recorded, unreadable: scan.unreadable });
  result.inputs.push(...plan.changes);

  const buffer = Buffer.allocUnsafe(HASH_BUFFER_BYTES);
  for (const entry of plan.hash) {
    result.hashed++;
    const hashed = await hashStable(root.root, entry.path, buffer);
    if (hashed.status === 'ok') {
      result.inputs.push({ operation: 'add', base_dir: root.name, ...hashed.entry });
    } else if (hashed.status === 'gone') {
      result.inputs.push({ operation: 'delete', kind: 'file', base_dir: root.name, path: entry.path, checksum: null, size: 0, mtime: 0, mode: 0 });
    } else if (hashed.status === 'unreadable') {
      log.warn({ base_dir: root.name, path: entry.path, code: hashed.code }, 'file not readable by the daemon; its content is not synced until it is');
      const input = unreadableInput(root.name, recorded.get(entry.path) ?? null, entry.mode);
      if (input) result.inputs.push(input);
    } else {
      result.unsettled.push(entry.path);
    }
  }
  return result;
}
