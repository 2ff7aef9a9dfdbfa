// Files R deleted for E's deletions are held a few minutes in each root's holding area
// (HOLDING_DIR) instead of unlinked: git checkout, npm ci, `rm -rf` and restore delete first and
// create afterwards, and a running client applies the deletions a pass before the new files are
// logged, so the local copies it could have made would be gone. A held file is named by the
// checksum of the content R received, and serves later passes as a local-copy source (verified
// against E's checksum as it is written, as every copy is). Pure: whether there is room to hold
// one more file, which held file serves a content, and which held files to drop. The shell is
// holding-area.ts; it never holds a file R edited (those go to conflict copies first).
import { HOLDING_DIR } from '@zync/common';
import type { EntryKey } from './types.js';

export interface HoldLimits {
  /** Held files older than this are dropped at a pass's end. */
  maxAgeMs: number;
  /** Over all roots: beyond these the oldest are dropped, and no more is held. */
  maxBytes: number;
  maxFiles: number;
}

export const HOLD_LIMITS: HoldLimits = { maxAgeMs: 5 * 60_000, maxBytes: 1024 ** 3, maxFiles: 50_000 };

/** A file in a holding area: its name (a checksum), size, and when it was moved there (its ctime). */
export interface HeldFile {
  base_dir: string;
  name: string;
  size: number;
  heldAt: number;
}

const CHECKSUM_NAME = /^[0-9a-f]{64}$/;

/** Whether a name in the holding area is one R gave a held file (anything else is dropped). */
export function isHeldName(name: string): boolean {
  return CHECKSUM_NAME.test(name);
}

/** Whether a wire path lies in the holding area (never a path of E's). */
export function isInHoldingArea(path: string): boolean {
  return path === HOLDING_DIR || path.startsWith(`${HOLDING_DIR}/`);
}

/** Whether one more file of `size` bytes may be held, given what is held now (over all roots). */
export function roomToHold(held: { files: number; bytes: number }, size: number, limits: HoldLimits = HOLD_LIMITS): boolean {
  return held.files + 1 <= limits.maxFiles && held.bytes + size <= limits.maxBytes;
}

/**
 * Whether R's file system has room to hold a file of `size` bytes instead of freeing them: at
 * least a tenth of it stays free, and twice the file (it or one like it may come back next).
 * Holding keeps space a plain unlink frees, so a nearly full disk holds nothing: the space is
 * the user's, and a download must not fail for a cache of ours (a full disk releases it too).
 */
export function freeToHold(disk: { freeBytes: number; totalBytes: number }, size: number): boolean {
  return disk.freeBytes >= disk.totalBytes / 10 && disk.freeBytes >= 2 * size;
}

/**
 * The held files to drop at a pass's end: those older than maxAgeMs (or moved there in the future:
 * a clock stepped back), then, newest kept first, those beyond the caps; and any name R does not
 * give a held file.
 */
export function heldToDrop(held: readonly HeldFile[], now: number, limits: HoldLimits = HOLD_LIMITS): HeldFile[] {
  const drop: HeldFile[] = [];
  const young: HeldFile[] = [];
  for (const file of held) {
    const age = now - file.heldAt;
    if (!isHeldName(file.name) || age > limits.maxAgeMs || age < -limits.maxAgeMs) drop.push(file);
    else young.push(file);
  }
  young.sort((a, b) => b.heldAt - a.heldAt);
  let files = 0;
  let bytes = 0;
  for (const file of young) {
    if (files + 1 <= limits.maxFiles && bytes + file.size <= limits.maxBytes) {
      files++;
      bytes += file.size;
    } else {
      drop.push(file);
    }
  }
  return drop;
}

/**
 * For each wanted content, a held file holding it (by name), as a local-copy source: a key whose
 * path lies in the root's holding area. One root's held file serves any root (a copy, not a move).
 * `held` lists the held names per root; contents it does not hold are left out.
 */
export function heldSources(wanted: Iterable<string>, held: ReadonlyMap<string, ReadonlySet<string>>): Map<string, EntryKey> {
  const sources = new Map<string, EntryKey>();
  for (const checksum of wanted) {
    if (sources.has(checksum) || !isHeldName(checksum)) continue;
    for (const [baseDir, names] of held) {
      if (!names.has(checksum)) continue;
      sources.set(checksum, { base_dir: baseDir, path: `${HOLDING_DIR}/${checksum}` });
      break;
    }
  }
  return sources;
}
