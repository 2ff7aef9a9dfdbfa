#!/usr/bin/env node
// More libuv threads than the default 4: a batch keeps many small-file writes, fsyncs and
// renames in flight at once. Must be set before the first file system call.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/main.js');
