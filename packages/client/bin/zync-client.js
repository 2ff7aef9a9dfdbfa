#!/usr/bin/env node
// A small young generation (src/heap-tuning.ts), set before the heap grows: before main loads.
import { setFlagsFromString } from 'node:v8';
const { keepYoungGenerationSmall } = await import('../dist/heap-tuning.js');
keepYoungGenerationSmall();
// Lets a large download collect its dead buffers young (src/young-gc.ts); gc is reachable only
// through a new vm context, not as a global.
setFlagsFromString('--expose-gc');
// More libuv threads than the default 4: a batch keeps many small-file writes, fsyncs and
// renames in flight at once. Must be set before the first file system call.
process.env.UV_THREADPOOL_SIZE ??= '16';
// One bundled file (scripts/bundle-binaries.mjs) starts faster than dist/main.js's module tree.
await import('../dist/zync-client.mjs');
