// Says when E's disk is full under the daemon's state database: once at error when a write is
// first refused (by the watcher, a client's request or housekeeping, whichever meets it first),
// once more for each other thing that then goes unrecorded (the clients' contacts, which do not
// stop a pull), and once at info when the refused writes go through again (a write of another
// kind, a client's small note that fits, does not end it). Between the two, each refusal
// still gets its DISK_FULL answer, but the log is not repeated at every retry. Owns no retrying:
// each caller tries again as it would after any failed write.
import type { Logger, ZyncError } from '@zync/common';
import { stateDiskFullError } from './core/state-disk-full.js';

/** The spell's key for housekeeping's writes (compaction, retention): ended by its next pass that goes through. */
export const HOUSEKEEPING = 'housekeeping';

/** What a start-up scan refused for a full disk leaves unlogged (stateDiskFullError's `unrecorded`). */
const STOPPED_CHANGES = 'the changes made in the roots while it was stopped (it serves what it logged before, and logs them once there is room)';

export class StateDiskNotice {
  /**
   * What was said in this spell: '' for a refused write as such, else what goes unrecorded, or
   * HOUSEKEEPING, whose refusals are said as a refused write but end on their own: on a quiet E
   * nothing else may write to end them, and the next spell's first refusal would go unsaid.
   */
  private readonly said = new Set<string>();
  /** Changes the watcher saw could not be logged and wait (changesRefused, until the next logged batch). */
  private changesWait = false;

  constructor(
    private readonly dbPath: string,
    private readonly log: Logger,
  ) {}

  /**
   * DISK_FULL for err (logged the first time in a spell, for each `unrecorded`), or null when err
   * is not a full disk.
   */
  failed(err: unknown, unrecorded?: string, key: string = unrecorded ?? ''): ZyncError | null {
    const mapped = stateDiskFullError(err, this.dbPath, unrecorded);
    if (mapped === null) return null;
    if (!this.said.has(key)) {
      this.said.add(key);
      this.log.error({ code: mapped.code }, mapped.message);
    } else this.log.debug({ code: mapped.code }, 'the state database is still full');
    return mapped;
  }

  /**
   * The start-up scan could not log what changed while the daemon was stopped (err, a full disk):
   * said once in words that say so, and counted as the refused changes' spell, so that the
   * rescans the watcher then retries are not said again; clients are told (GET_CHANGES). Null
   * when err is not a full disk.
   */
  scanRefused(err: unknown): ZyncError | null {
    const mapped = stateDiskFullError(err, this.dbPath, STOPPED_CHANGES);
    if (mapped === null) return null;
    if (!this.said.has('')) {
      this.said.add('');
      this.log.error({ code: mapped.code }, mapped.message);
    }
    this.changesWait = true;
    return mapped;
  }

  /** The watcher could not log a batch of changes (the disk full): they wait, and clients are told (GET_CHANGES). */
  changesRefused(): void {
    this.changesWait = true;
  }

  /** Whether changes E saw wait to be logged: R's "up to date" is then up to date with E's log only. */
  get changesWaiting(): boolean {
    return this.changesWait;
  }

  /**
   * A write to the state database went through: `unrecorded` names its kind as failed() did. A
   * client's small note that fits while refused changes still wait does not end the spell (E's
   * log would say it has room while they wait); the changes written again end it, notes included.
   */
  wrote(unrecorded?: string): void {
    if (unrecorded === undefined) {
      this.changesWait = false;
      if (this.said.size === 0) return;
      this.said.clear();
    } else {
      if (this.said.has('') || !this.said.delete(unrecorded) || this.said.size > 0) return;
    }
    this.log.info(`E's disk has room again: the state database ${this.dbPath} is written again.`);
  }
}
