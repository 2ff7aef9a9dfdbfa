// Notices commits other processes make to the database (zync-apply recording applied changes)
// by polling PRAGMA data_version, which changes only when another connection commits. Cheap
// enough to poll every 25 ms, so CHANGES_AVAILABLE follows such a commit within ~50 ms.
import type { DaemonStore } from './store/daemon-store.js';

export function watchCommits(store: DaemonStore, onCommit: (highestSequence: number) => void, intervalMs = 25): () => void {
  let version = store.dataVersion();
  const timer = setInterval(() => {
    if (!store.db.open) return;
    const now = store.dataVersion();
    if (now === version) return;
    version = now;
    onCommit(store.lastSequence());
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
