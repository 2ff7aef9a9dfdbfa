// Preload for startup-window.test.ts (node --import): makes the directories named by
// ZYNC_MKDIR_WHILE_WATCHING (`watched:made`, absolute paths) at the one moment no event can report
// them: inside the daemon's chokidar, after it listed `watched` and just before it watches it.
// Once, on the first watch of `watched`; a test hook, never loaded by the daemon itself.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';

const [watched, made] = (process.env.ZYNC_MKDIR_WHILE_WATCHING ?? '').split(':');
if (watched && made) {
  // The daemon's own chokidar (pinned 4.0.3): the same module instance, as imports resolve to real paths.
  const handlerUrl = new URL('../../packages/daemon/node_modules/chokidar/esm/handler.js', import.meta.url);
  const { NodeFsHandler } = await import(handlerUrl.href);
  const watchWithNodeFs = NodeFsHandler.prototype._watchWithNodeFs;
  let done = false;
  NodeFsHandler.prototype._watchWithNodeFs = function (p, listener) {
    if (!done && path.resolve(p) === watched) {
      done = true;
      mkdirSync(made, { recursive: true });
    }
    return watchWithNodeFs.call(this, p, listener);
  };
}
