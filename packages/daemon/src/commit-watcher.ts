// Notices commits other processes make to the database (zync-apply recording applied changes):
// PRAGMA data_version changes only when another connection commits. It is read when the
// write-ahead log is written to (an inotify event: an idle daemon does not wake), and once a
// second anyway, for a log file replaced or a file system whose events do not come; where the
// log cannot be watched, every 25 ms. CHANGES_AVAILABLE then follows such a commit within
// ~25 ms.
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import type { DaemonStore } from './store/daemon-store.js';

export interface CommitWatchOptions {
  /** Polled this often while the log is watched. */
  fallbackMs?: number;
  /** Polled this often where it cannot be. */
  pollMs?: number;
  /** Looked at again this long after the log is written to. */
  recheckMs?: number;
}

export function watchCommits(store: DaemonStore, onCommit: (highestSequence: number) => void, options: CommitWatchOptions = {}): () => void {
  const { fallbackMs = 1000, pollMs = 25, recheckMs = 25 } = options;
  let version = store.dataVersion();
  const check = () => {
    if (!store.db.open) return;
    const now = store.dataVersion();
    if (now === version) return;
    version = now;
    onCommit(store.lastSequence());
  };
  // The event comes with the write to the log, before SQLite updates the log's index, which
  // data_version reads: looked at again a moment later, else a commit could wait for the poll.
  let again: NodeJS.Timeout | null = null;
  const onWrite = () => {
    check();
    if (again === null) {
      again = setTimeout(() => {
        again = null;
        check();
      }, recheckMs);
      again.unref();
    }
  };
  let timer: NodeJS.Timeout;
  const poll = (ms: number) => {
    timer = setInterval(check, ms);
    timer.unref();
  };
  let watcher: FSWatcher | null = null;
  try {
    // The daemon's own connection keeps the -wal file in place for as long as it runs. SQLite
    // puts it beside the database's real file: a --db that is a symbolic link has none beside it.
    watcher = watch(`${realpathSync(store.path)}-wal`, { persistent: false }, onWrite);
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
      clearInterval(timer);
      poll(pollMs);
    });
  } catch {
    watcher = null;
  }
  poll(watcher ? fallbackMs : pollMs);
  return () => {
    clearInterval(timer);
    if (again !== null) clearTimeout(again);
    watcher?.close();
  };
}
