// Decides whether a root's apparent disappearance is believable. An unmounted disk or a removed
// root looks, to a scanner, exactly like "every file was deleted"; logging that would make every
// client delete its copy. So a root that is gone, or that is suddenly empty while the log holds
// many entries for it, is reported and its deletions are held back. Pure: callers stat the root.

/** Below this many recorded entries, an empty root is believed (a small tree may be emptied). */
export const EMPTIED_ROOT_THRESHOLD = 20;

export type RootVerdict =
  | { status: 'ok' }
  | { status: 'vanished'; reason: string }
  | { status: 'emptied'; reason: string };

export function checkRoot(input: {
  base_dir: string;
  root: string;
  /** The root exists and is a directory. */
  rootPresent: boolean;
  /** Entries the scan found below the root; null when no scan was made (watcher deletions). */
  scannedEntries: number | null;
  /** Live entries recorded for this root before the scan, less those its rules now ignore (not vanished, only no longer synced). */
  recordedLive: number;
  threshold?: number;
}): RootVerdict {
  const threshold = input.threshold ?? EMPTIED_ROOT_THRESHOLD;
  if (!input.rootPresent) {
    return {
      status: 'vanished',
      reason: `Root "${input.base_dir}" (${input.root}) is missing or not a directory; its ${input.recordedLive} recorded entries are kept, not logged as deleted.`,
    };
  }
  if (input.scannedEntries === 0 && input.recordedLive >= threshold) {
    return {
      status: 'emptied',
      reason: `Root "${input.base_dir}" (${input.root}) is empty but ${input.recordedLive} entries are recorded for it (an unmounted disk?); not logging them as deleted.`,
    };
  }
  return { status: 'ok' };
}
