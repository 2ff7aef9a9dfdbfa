// Whose turn it is to write into E's tree and the change log: one zync-apply at a time, but only
// while it writes, not while its user reads a diff at a prompt or answers discard's question (a
// run with no one to ask holds it from its look at E on: its session goes in whole or not). The
// turn is a lock file beside the database (`DB.apply.lock`, the name older zync-apply held for a
// whole run, so one of those still excludes this one); a run that finds it taken waits, saying
// once whom it waits for, and gives up when stopped (Ctrl-C). Each session is guarded by a lock
// of its own for the whole run (main.ts), so two runs never work on the same session.
import { readFileSync } from 'node:fs';
import { acquireProcessLock, isZyncError, sleepUnlessAborted, type ProcessLock } from '@zync/common';
import { applyDiskFullError } from '@zync/daemon';

export interface WriteTurnOptions {
  /** The database whose sessions are applied (real path). */
  dbPath: string;
  program: string;
  /** Where "waiting for ..." is said, once per wait. */
  say: (line: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
}

export class WriteTurn {
  private lock: ProcessLock | null = null;
  private readonly path: string;

  constructor(private readonly options: WriteTurnOptions) {
    this.path = `${options.dbPath}.apply.lock`;
  }

  /** Takes the turn (at once if held already); false when stopped while waiting for it. */
  async take(): Promise<boolean> {
    if (this.lock) return true;
    const { signal, pollMs = 100 } = this.options;
    let said = false;
    for (;;) {
      if (signal?.aborted) return false;
      try {
        this.lock = acquireProcessLock(this.path, this.options.program, `E's tree for ${this.options.dbPath}`);
        return true;
      } catch (err) {
        // A full state disk, in the words of the rest (no claim of what changed: a later turn's).
        if (!isZyncError(err) || err.code !== 'IN_USE') throw applyDiskFullError(err, `write its lock file ${this.path}`, this.options.dbPath) ?? err;
      }
      if (!said) {
        said = true;
        this.options.say(`Waiting for another zync-apply${this.holder()} to finish writing into E's tree; it goes on by itself (Ctrl-C stops here, nothing written).`);
      }
      await sleepUnlessAborted(pollMs, signal);
    }
  }

  /** Lets another run write (before a prompt, at the end). */
  give(): void {
    this.lock?.release();
    this.lock = null;
  }

  private holder(): string {
    try {
      const pid = Number(readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : '';
    } catch {
      return '';
    }
  }
}
