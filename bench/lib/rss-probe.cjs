// Preloaded (`node -r`) into the zync binaries by the benchmark only. At exit it writes the
// process's peak resident set size (VmHWM, in kB, from /proc/self/status) to the file named by
// $ZYNC_BENCH_RSS_FILE. It reads nothing else and changes nothing else; CommonJS so that it
// loads synchronously, before the binary's own start-up code (which sizes the libuv pool).
'use strict';
const fs = require('node:fs');

const out = process.env.ZYNC_BENCH_RSS_FILE;
if (out) {
  delete process.env.ZYNC_BENCH_RSS_FILE;
  process.on('exit', () => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      if (match) fs.writeFileSync(out, match[1]);
    } catch {
      // Not Linux, or the state dir is gone: the benchmark falls back to its sampler.
    }
  });
}
