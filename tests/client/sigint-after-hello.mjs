// Preload for startup-stop.test.ts (node --import): a Ctrl-C at the first moment zync-client can
// handle one after the daemon answered its HELLO. Its first file system call (node:fs/promises)
// after that answer sends SIGINT to the client and goes on only once the client's handler has run.
// Once; a test hook, never loaded by the client itself.
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

let helloAnswered = false;
let sent = false;
const parse = JSON.parse;
JSON.parse = function (text, reviver) {
  const value = parse.call(this, text, reviver);
  if (value !== null && typeof value === 'object' && 'log_id' in value && 'dirs' in value) helloAnswered = true;
  return value;
};

for (const [name, real] of Object.entries(fsPromises)) {
  if (typeof real !== 'function') continue;
  fsPromises[name] = async function (...args) {
    if (helloAnswered && !sent) {
      sent = true;
      // Listeners run in the order they were added: this one after the client's.
      const handled = new Promise((resolve) => process.once('SIGINT', resolve));
      process.kill(process.pid, 'SIGINT');
      await handled;
    }
    return real.apply(this, args);
  };
}
// The client's `import { mkdir } from 'node:fs/promises'` sees the wrappers.
syncBuiltinESMExports();
