// Each root's holding area on disk (core/held-files.ts decides): moving a file R deletes for E's
// deletion into it, listing what it holds, dropping what is old or beyond the caps at a pass's
// end, and emptying it whole at start (a kill -9 leaves it) and at a clean stop. A rename within
// the root's file system, so it is as durable as the unlink it replaces once the directory
// barrier has run. It never holds anything else: the holding area is ignored by every scanner
// (its name starts with TEMP_PREFIX), so nothing in it is synced, sent upstream or swept.
import { mkdirSync, readdirSync } from 'node:fs';
import { lstat, rename, rm, statfs, unlink } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { HOLDING_DIR, type DirSpec } from '@zync/common';
import { HOLD_LIMITS, freeToHold, heldToDrop, isHeldName, roomToHold, type HeldFile, type HoldLimits } from './core/held-files.js';
import { lstatState } from './local-tree.js';

export class HoldingArea {
  private readonly roots: Map<string, string>;
  private readonly limits: HoldLimits;
  /** What is held over all roots (an upper bound: R's user may remove held files). */
  private held = { files: 0, bytes: 0 };
  /** When the oldest file still held was moved there (Infinity: none). */
  private oldest = Infinity;

  constructor(dirs: readonly DirSpec[], limits: HoldLimits = HOLD_LIMITS) {
    this.roots = new Map(dirs.map((d) => [d.name, d.root]));
    this.limits = limits;
  }

  private dirOf(baseDir: string): string | undefined {
    const root = this.roots.get(baseDir);
    return root === undefined ? undefined : nodePath.join(root, HOLDING_DIR);
  }

  /**
   * Moves R's file at abs, holding `checksum` as received, into its root's holding area. Returns the
   * held path, or null when it was not moved (no room in the caps or on the disk, another file system, a link or file in the
   * area's place): the caller unlinks it then, as before. Known race: a link put in the area's
   * place between its lstat and the rename would take the file elsewhere in the root's file system.
   */
  async hold(baseDir: string, abs: string, checksum: string, size: number): Promise<string | null> {
    const dir = this.dirOf(baseDir);
    if (dir === undefined || !isHeldName(checksum)) return null;
    const heldPath = nodePath.join(dir, checksum);
    // Before the caps are checked and counted: nothing awaited between (deletions run concurrently).
    const disk = await statfs(abs).catch(() => null);
    if (disk === null || !freeToHold({ freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize }, size)) return null;
    // Over a held file of the same content, if any (the name says what it holds): counted once.
    const counted = lstatState(heldPath).kind === 'file' ? { files: 0, bytes: 0 } : { files: 1, bytes: size };
    if (counted.files > 0 && !roomToHold(this.held, size, this.limits)) return null;
    // Counted before the rename: deletions run concurrently.
    this.held.files += counted.files;
    this.held.bytes += counted.bytes;
    try {
      const there = lstatState(dir);
      if (there.kind === 'absent') mkdirSync(dir, { mode: 0o700 });
      else if (there.kind !== 'dir') throw new Error('not a directory');
      await rename(abs, heldPath);
      this.oldest = Math.min(this.oldest, Date.now());
      return heldPath;
    } catch {
      // EXDEV (a disk mounted inside the root), a full disk for the mkdir, a file in the area's place.
      this.held.files -= counted.files;
      this.held.bytes -= counted.bytes;
      return null;
    }
  }

  /** Whether anything may be held (an upper bound: R's user may have removed held files). */
  holdsAny(): boolean {
    return this.held.files > 0;
  }

  /**
   * The names held in each root's area (roots without one left out): one lstat, and a readdir where
   * it is. Every root, not only those a batch touches: E moving a file to another root is a rename too.
   */
  contents(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const baseDir of this.roots.keys()) {
      const dir = this.dirOf(baseDir)!;
      if (lstatState(dir).kind !== 'dir') continue;
      try {
        out.set(baseDir, new Set(readdirSync(dir).filter(isHeldName)));
      } catch {
        // Unreadable: nothing to copy from there; downloads instead.
      }
    }
    return out;
  }

  /**
   * Drops what is older than the age limit or beyond the caps (a pass's end). Returns how many went.
   * Lists nothing while no held file can be due (the caps are kept as files are held): a running
   * client ends a pass at each push.
   */
  async purge(now = Date.now()): Promise<number> {
    if (this.held.files === 0 || Math.abs(now - this.oldest) <= this.limits.maxAgeMs) return 0;
    const held: HeldFile[] = [];
    for (const baseDir of this.roots.keys()) held.push(...(await this.list(baseDir)));
    const drop = new Set(heldToDrop(held, now, this.limits));
    await Promise.all([...drop].map((file) => unlink(nodePath.join(this.dirOf(file.base_dir)!, file.name)).catch(() => undefined)));
    const kept = held.filter((file) => !drop.has(file));
    this.held = { files: kept.length, bytes: kept.reduce((total, file) => total + file.size, 0) };
    this.oldest = kept.reduce((oldest, file) => Math.min(oldest, file.heldAt), Infinity);
    return drop.size;
  }

  /** Removes every root's holding area and what it holds (start-up, clean stop). Returns how many files went. */
  async empty(): Promise<number> {
    let removed = 0;
    for (const baseDir of this.roots.keys()) {
      const dir = this.dirOf(baseDir)!;
      // Anything but a directory in its place (a link, a file) is left alone: a link is not followed.
      if (lstatState(dir).kind !== 'dir') continue;
      removed += (await this.list(baseDir)).length;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    this.held = { files: 0, bytes: 0 };
    this.oldest = Infinity;
    return removed;
  }

  private async list(baseDir: string): Promise<HeldFile[]> {
    const dir = this.dirOf(baseDir)!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const files: HeldFile[] = [];
    for (const name of names) {
      const info = await lstat(nodePath.join(dir, name)).catch(() => null);
      if (info === null) continue;
      if (!info.isFile()) {
        await rm(nodePath.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
        continue;
      }
      files.push({ base_dir: baseDir, name, size: info.size, heldAt: info.ctimeMs });
    }
    return files;
  }
}
