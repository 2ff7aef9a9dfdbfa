// Preload (node --import) that makes every directory under ZYNC_NO_HARD_LINKS_UNDER behave as a
// file system without hard links (FAT, some FUSE and network file systems): link(2) to a path
// there fails with EPERM. A test hook, never loaded by zync itself.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';

const under = process.env.ZYNC_NO_HARD_LINKS_UNDER;
if (under) {
  const linkSync = fs.linkSync;
  fs.linkSync = function (existingPath, newPath) {
    if (path.resolve(String(newPath)).startsWith(`${under}${path.sep}`)) {
      throw Object.assign(new Error(`EPERM: operation not permitted, link '${existingPath}' -> '${newPath}'`), { code: 'EPERM', errno: -1, syscall: 'link' });
    }
    return linkSync.call(this, existingPath, newPath);
  };
  // The client's `import { linkSync } from 'node:fs'` sees the wrapper.
  syncBuiltinESMExports();
}
