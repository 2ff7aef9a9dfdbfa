// @zync/daemon as a library: the store (zync-apply records applied changes with the same code,
// in the same database), the pure rules it decides with, and upstream staging (./upstream).
export { DaemonStore, type ChangesPage, type RecordResult } from './store/daemon-store.js';
export { SQL_DIR } from './store/migrations.js';
export { compactLog } from './compaction.js';
export { checkRoot, type RootVerdict } from './core/root-guard.js';
export { applyDiskFullError } from './core/state-disk-full.js';
export { classifyChange, orderChanges, type ChangeInput, type ChangeVerdict, type FileRecord, type ObservedEntry, type StatEntry } from './core/entries.js';
export type { UpstreamConnection, UpstreamContext, UpstreamPort, UpstreamRequest } from './server/upstream-port.js';
export * from './upstream/index.js';
