// Preload (node --import) that makes every directory under ZYNC_NO_HARD_LINKS_UNDER behave as a
// file system without hard links (FAT, some FUSE and network file systems): link(2) to a path
// there fails with EPERM, or with EEXIST when that path exists (Linux checks the name first, as
// seen on vfat). A test hook, never loaded by zync itself.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';

const under = process.env.ZYNC_NO_HARD_LINKS_UNDER;
if (under) {
  const linkSync = fs.linkSync;
  fs.linkSync = function (existingPath, newPath) {
    if (path.resolve(String(newPath)).startsWith(`${under}${path.sep}`)) {
      if (fs.lstatSync(newPath, { throwIfNoEntry: false })) {
        throw Object.assign(new Error(`EEXIST: file already exists, link '${existingPath}' -> '${newPath}'`), { code: 'EEXIST', errno: -17, syscall: 'link' });
      }
      throw Object.assign(new Error(`EPERM: operation not permitted, link '${existingPath}' -> '${newPath}'`), { code: 'EPERM', errno: -1, syscall: 'link' });
    }
    return linkSync.call(this, existingPath, newPath);
  };
  // The client's `import { linkSync } from 'node:fs'` sees the wrapper.
  syncBuiltinESMExports();
}
