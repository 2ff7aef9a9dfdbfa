// Helpers shared by the daemon's end-to-end tests: read the whole log over the wire, replay it
// (last entry per path) into a tree description comparable with treeDigest, and read the
// daemon's own start-up report.
import { ChangeEntry, GetChangesResponse } from '@zync/common';
import { connect, type RawClient, type TreeEntry } from '../helpers/index.js';

/** Every log entry after `since`, page by page, checking that pages are contiguous. */
export async function fetchLog(client: RawClient, since = 0): Promise<ChangeEntry[]> {
  const entries: ChangeEntry[] = [];
  for (;;) {
    const page = GetChangesResponse.parse(await client.request('GET_CHANGES', { since_sequence: since, limit: 5000 }));
    if (page.from_sequence !== since) throw new Error(`page starts at ${page.from_sequence}, asked ${since}`);
    entries.push(...page.changes.map((c) => ChangeEntry.parse(c)));
    since = page.to_sequence;
    if (!page.more_available) return entries;
  }
}

/** The checksum the log holds last for `file` (null: a deletion or a directory; undefined: never logged). */
export async function checksumInLog(daemon: { url: string; token: string }, file: string): Promise<string | null | undefined> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return (await fetchLog(client)).filter((e) => e.path === file).at(-1)?.checksum;
  } finally {
    await client.close();
  }
}

/** What a client replaying the log would hold for one base_dir: the last entry per path. */
export function replayLog(entries: readonly ChangeEntry[], baseDir: string): Record<string, TreeEntry> {
  const last = new Map<string, ChangeEntry>();
  for (const e of entries) if (e.base_dir === baseDir) last.set(e.path, e);
  const tree: Record<string, TreeEntry> = {};
  for (const [path, e] of last) {
    if (e.operation === 'delete') continue;
    tree[path] = e.kind === 'dir' ? { kind: 'dir' } : { kind: 'file', sha256: e.checksum!, size: e.size };
  }
  return tree;
}

/** treeDigest without the exec bit, in the shape replayLog returns. */
export function comparable(tree: Record<string, TreeEntry>): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  for (const [path, e] of Object.entries(tree)) {
    out[path] = e.kind === 'dir' ? { kind: 'dir' } : { kind: 'file', sha256: e.sha256!, size: e.size! };
  }
  return out;
}

export interface ScanReport {
  files: number;
  hashed: number;
  logged: number;
  ms: number;
  lastSequence: number;
}

/** The daemon's start-up line `scan: N files, M hashed, K changes logged in T ms (last sequence S)`. */
export function scanReports(stderr: string): ScanReport[] {
  const re = /scan: (\d+) files, (\d+) hashed, (\d+) changes logged in (\d+) ms \(last sequence (\d+)\)/g;
  return [...stderr.matchAll(re)].map((m) => ({
    files: Number(m[1]),
    hashed: Number(m[2]),
    logged: Number(m[3]),
    ms: Number(m[4]),
    lastSequence: Number(m[5]),
  }));
}

/** A small deterministic PRNG so a failing burst can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** '' when both trees hold the same entries, else the differing paths (for failure messages). */
export function treeDifference(fromLog: Record<string, TreeEntry>, onDisk: Record<string, TreeEntry>): string {
  const lines: string[] = [];
  for (const path of new Set([...Object.keys(fromLog), ...Object.keys(onDisk)])) {
    const a = JSON.stringify(fromLog[path]);
    const b = JSON.stringify(onDisk[path]);
    if (a !== b) lines.push(`${path}: log ${a ?? 'absent'} / disk ${b ?? 'absent'}`);
  }
  return lines.sort().slice(0, 40).join('\n');
}
