// Brings the log in line with a root (or one subtree) as it is on disk now, one directory at a
// time: walk (walkTree), compare each listing with what the log holds for that directory
// (diffScan), hash only the candidates, and hand the inputs to record on. A whole root is first
// guarded against having vanished or been emptied (checkRoot), which its own listing tells, and
// after its walk the rows marked ignored that the rules let through again are settled.
// Used by the start-up scan, by the watcher for new or removed directories, and when a root
// returns, its .zyncignore changes or its periodic rescan is due.
//
// Memory: with a `record` sink, inputs are handed over in batches and nothing grows with the
// tree: one directory's listing and records, one batch of inputs. A reconcile cut short (a stop
// between two directories, a crash, a kill -9) leaves its earlier batches recorded; the next one
// finds them unchanged. Without a sink every input is returned, for a caller that commits them
// with others in one transaction.
import { stat } from 'node:fs/promises';
import { newLinkTally, noteLink, type LinkTally, type Logger } from '@zync/common';
import { diffScan } from './core/diff-scan.js';
import { isWithin, unreadableInput, type ChangeInput, type FileRecord, type StatEntry } from './core/entries.js';
import { checkRoot, type RootVerdict } from './core/root-guard.js';
import type { SkippedNames } from './skipped-names.js';
import type { Root } from './roots.js';
import { hashStable, lstatInRoot, NOT_PERMITTED, toStatEntry, walkTree } from './scanner.js';
import type { DaemonStore } from './store/daemon-store.js';

export interface ReconcileResult {
  /** Inputs not handed to a `record` sink (all of them when there is none). */
  inputs: ChangeInput[];
  /** Files and directories found. */
  files: number;
  dirs: number;
  /** Files whose content was read. */
  hashed: number;
  /** Files that kept changing while read; look at them again later. */
  unsettled: string[];
  verdict: RootVerdict;
  /** stop() ended the walk: what was found so far is recorded, the rest waits for the next scan. */
  stopped: boolean;
  /** Symbolic links the walk passed (not ignored): never synced, but said (SkippedNames.links). */
  links: LinkTally;
}

const HASH_BUFFER_BYTES = 1024 * 1024;
/** Inputs per batch handed to a sink: one transaction (and one WAL fsync) each. */
export const RECORD_BATCH = 2000;

export async function reconcile(options: {
  store: DaemonStore;
  root: Root;
  /** A subtree to look at ('' or absent: the whole root). */
  under?: string;
  log: Logger;
  /** Told of each symbolic link the walk passes (default: counted in the result's `links`). */
  onSymlink?: (rel: string) => void;
  /** Reports names zync does not sync, once per run; without it a bad UTF-8 name goes quietly and a backslash warns each time. */
  skippedNames?: SkippedNames;
  /** Records a batch of inputs (in one transaction); without it they are all returned. */
  record?: (inputs: ChangeInput[]) => Promise<void> | void;
  batchSize?: number;
  /** Asked before each directory: true ends the walk there (the daemon is stopping). */
  stop?: () => boolean;
  /** Told of each directory the walk reaches below the root or `under`, parents before children. */
  onDirectory?: (dir: string) => void;
}): Promise<ReconcileResult> {
  const { store, root, log, skippedNames, record } = options;
  const batchSize = options.batchSize ?? RECORD_BATCH;
  const under = options.under || undefined;
  const result: ReconcileResult = { inputs: [], files: 0, dirs: 0, hashed: 0, unsettled: [], verdict: { status: 'ok' }, stopped: false, links: newLinkTally() };

  const rootPresent = (await stat(root.root).catch(() => null))?.isDirectory() === true;
  if (!rootPresent) {
    result.verdict = checkRoot({ base_dir: root.name, root: root.root, rootPresent, scannedEntries: null, recordedLive: store.liveCount(root.name) });
    return result;
  }

  const pending = result.inputs;
  const buffer = Buffer.allocUnsafe(HASH_BUFFER_BYTES);
  /** Compares entries found with those recorded for the same paths, and hashes what may have changed. */
  const compare = async (scanned: StatEntry[], recorded: Map<string, FileRecord>, unreadable: string[]): Promise<void> => {
    for (const e of scanned) {
      if (e.kind === 'dir') result.dirs++;
      else result.files++;
    }
    const plan = diffScan({ base_dir: root.name, scanned, recorded, unreadable, ignored: root.matcher });
    for (const change of plan.changes) pending.push(change); // not push(...): a directory may hold more entries than a call takes arguments
    for (const entry of plan.hash) {
      result.hashed++;
      const hashed = await hashStable(root.root, entry.path, buffer);
      if (hashed.status === 'ok') {
        pending.push({ operation: 'add', base_dir: root.name, ...hashed.entry });
      } else if (hashed.status === 'gone') {
        pending.push({ operation: 'delete', kind: 'file', base_dir: root.name, path: entry.path, checksum: null, size: 0, mtime: 0, mode: 0 });
      } else if (hashed.status === 'unreadable') {
        log.warn({ base_dir: root.name, path: entry.path, code: hashed.code }, 'file not readable by the daemon; its content is not synced until it is');
        const input = unreadableInput(root.name, recorded.get(entry.path) ?? null, entry.mode);
        if (input) pending.push(input);
      } else {
        result.unsettled.push(entry.path);
      }
    }
    if (record && pending.length >= batchSize) await record(pending.splice(0));
  };

  let from: { rel: string; ino: number | null } = { rel: '', ino: null };
  if (under !== undefined) {
    const stats = lstatInRoot(root.root, under);
    if (stats === NOT_PERMITTED) return result; // behind a directory that may not be searched: unknown
    let entry = stats ? toStatEntry(under, stats) : null;
    if (entry && root.matcher(under, entry.kind === 'dir')) entry = null;
    const prev = store.getFile(root.name, under);
    await compare(entry ? [entry] : [], new Map(prev && !prev.deleted ? [[under, prev]] : []), []);
    if (entry?.kind !== 'dir') return finish();
    from = { rel: under, ino: entry.ino };
  }

  const reported = skippedNames && {
    checkUtf8: (dir: string) => skippedNames.check(root.name, root.root, dir),
    onUnsyncableName: (rel: string) => skippedNames.unsyncable(root.name, rel),
  };
  const onSymlink = options.onSymlink ?? ((rel: string) => noteLink(result.links, rel));
  for await (const listing of walkTree(root.root, root.matcher, { from, log: log.child({ base_dir: root.name }), onSymlink, ...reported })) {
    if (options.stop?.()) {
      result.stopped = true;
      break;
    }
    if (under === undefined && listing.dir === '' && listing.listed && listing.entries.length === 0) {
      // The root's own listing comes first, before anything is recorded: an empty root (an
      // unmounted disk?) must not turn into every recorded entry deleted. A root that cannot be
      // listed is not empty, only unknown: the walk warns, and its entries are left as recorded.
      result.verdict = checkRoot({ base_dir: root.name, root: root.root, rootPresent, scannedEntries: 0, recordedLive: liveCountUnignored(store, root) });
      if (result.verdict.status !== 'ok') return result;
    }
    if (listing.dir !== (under ?? '')) options.onDirectory?.(listing.dir);
    if (!listing.listed) continue;
    const recorded = new Map([...store.liveChildren(root.name, listing.dir).values()].map((r) => [r.path, r]));
    await compare(listing.entries, recorded, listing.unreadable);
  }
  if (under === undefined && !result.stopped) {
    if (record && pending.length > 0) await record(pending.splice(0)); // what the walk settled is not looked at again
    await sweepIgnored();
  }
  return finish();

  /**
   * Rows marked ignored that the rules let through again, and that the walk did not reach:
   * their directory is gone too (E removed it while they were ignored). They are logged as
   * deleted, so the clients' copies follow. One that is still there (below a directory the
   * daemon may not search, say) is left as recorded.
   */
  async function sweepIgnored(): Promise<void> {
    let skipBelow: string | null = null; // a directory still ignored: so is everything below it
    for (let after = ''; ; ) {
      const rows = store.ignoredAfter(root.name, after, batchSize);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.path;
      for (const row of rows) {
        if (skipBelow !== null && isWithin(row.path, skipBelow)) {
          after = `${skipBelow}0`; // past its subtree ('0' follows '/'), in one step however big it is
          break;
        }
        if (root.matcher(row.path, row.kind === 'dir')) {
          if (row.kind === 'dir') skipBelow = row.path;
          continue;
        }
        if (lstatInRoot(root.root, row.path) !== null) continue;
        pending.push({ operation: 'delete', kind: row.kind, base_dir: root.name, path: row.path, checksum: null, size: 0, mtime: 0, mode: 0 });
      }
      if (record && pending.length >= batchSize) await record(pending.splice(0));
    }
  }

  async function finish(): Promise<ReconcileResult> {
    if (record && pending.length > 0) await record(pending.splice(0));
    return result;
  }
}

/**
 * Live entries recorded for a root, marked ignored or not, less those at or below a top-level
 * entry its rules exclude now: what a rule change (`*` in .zyncignore) keeps out of a scan is
 * ignored, not deleted, and must not make the root look emptied. The rules decide, not the marks:
 * an unmounted disk takes its .zyncignore along, so rows marked under it count again and the
 * root is held. Only the root's own entries are asked.
 */
export function liveCountUnignored(store: DaemonStore, root: Root): number {
  let count = store.liveCount(root.name);
  for (const record of store.liveChildren(root.name, '').values()) {
    if (root.matcher(record.path, record.kind === 'dir')) count -= store.liveCountAt(root.name, record.path);
  }
  return count;
}
