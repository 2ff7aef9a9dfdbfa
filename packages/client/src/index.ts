// Public surface of @zync/client for tests, the benchmark and other tools.
export { Connection, type ConnectionOptions, type FileSink, type FileTransfer, type RequestFields } from './connection.js';
export { ClientStore, type Position } from './store/client-store.js';
export type { EntryKey, LocalState, RecordedEntry } from './core/types.js';
export { PullEngine, describePass, type PassSummary } from './pull-engine.js';
