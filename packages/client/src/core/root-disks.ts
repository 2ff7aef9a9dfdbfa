// Whether a local root is on the disk it was synced on. A removable or network disk that is not
// mounted leaves its mount point behind: a root below it looks gone (rm -rf, core/missing-roots.ts)
// and a root that is the mount point looks emptied (R's deletions). Neither is: once the disk is
// back, what it holds is R's received files again, and E's files fetched meanwhile into the mount
// point would make them look like R's edits (sent upstream, they would revert E). So the disk a
// root was on when it last held what R received is recorded (its device and where it is mounted),
// and a root now on another disk (itself, or the nearest directory above it when it is missing) is
// held: not made, not forgotten, not pulled into, until its disk is back or the user says it moved
// (--new-disk). Another disk means another device below another mount point: a network file system
// or a btrfs subvolume mounted again (after a reboot) may get a new device number at the same
// mount point, and is the same disk. Pure.
import { ZyncError } from '@zync/common';
import type { MissingRoot } from './missing-roots.js';

/** Where a directory lives: the file system's device and the directory it is mounted on. */
export interface Disk {
  /** st_dev */
  dev: number;
  /** The highest directory above (or at) the one looked at that is on the same device. */
  mountPoint: string;
}

export interface RootDisk extends MissingRoot, Disk {
  /** Where the root would be, symbolic links resolved (as bindRoots records it). */
  real: string;
}

export interface RecordedRoots {
  hasRecords(name: string): boolean;
  boundRoot(name: string): string | undefined;
  /** The disk the root was on when a pass last ended (undefined before that). */
  rootDisk(name: string): Disk | undefined;
}

/**
 * The roots to hold this pass: those R received files into at this very place that are on
 * another disk than the one recorded (another device, mounted elsewhere). A root --dirs gives a new place is not one (it is resynced as a moved
 * root is), nor is one that never received anything (nothing of R's can be mistaken there).
 */
export function rootsOffTheirDisk<T extends RootDisk>(roots: readonly T[], recorded: RecordedRoots): T[] {
  return roots.filter((dir) => {
    const disk = recorded.rootDisk(dir.name);
    if (disk === undefined || sameDisk(disk, dir)) return false;
    return recorded.hasRecords(dir.name) && recorded.boundRoot(dir.name) === dir.real;
  });
}

/** The same disk: the same device, or the same mount point (a device number given afresh at a new mount). */
function sameDisk(a: Disk, b: Disk): boolean {
  return a.dev === b.dev || a.mountPoint === b.mountPoint;
}

/**
 * The one sentence for a held root: what was found, what zync does (a pull leaves it as it is,
 * --update-upstream sends nothing) and the two ways forward.
 */
export function offDiskMessage(dir: MissingRoot, action = 'it is left as it is, with its records, until the disk is back'): string {
  return `The local directory for "${dir.name}" (${dir.root}) is not on the disk it was synced on, so its disk seems not mounted; ${action} — mount it, or if "${dir.name}" really moved to another disk, run once with --new-disk ${dir.name}.`;
}

/** The line for a held root a pass found on its disk again (and so resynced). */
export function onDiskAgainNote(dir: MissingRoot): string {
  return `The local directory for "${dir.name}" (${dir.root}) is on the disk it was synced on again; R catches up with it by a full resync.`;
}

/** The error a --once pass (or --update-upstream) ends with when roots are held: the first named. */
export function offDiskError(held: readonly MissingRoot[], action?: string): ZyncError {
  const sentence = offDiskMessage(held[0]!, action);
  const more = held.length > 1 ? ` (and ${held.length - 1} more root(s) likewise)` : '';
  return new ZyncError('ROOT_NOT_MOUNTED', `${sentence.slice(0, -1)}${more}.`);
}
