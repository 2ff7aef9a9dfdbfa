// Whether a root on R keeps the permission bits zync gives its files. One without Unix modes
// (vfat, a `bindfs --chmod-ignore` mount) shows its own bits for every file and ignores or refuses
// a chmod, so what its files show is no chmod of R's (core/file-modes.ts). Told by chmodding a
// temp file of zync's own (its name is never synced nor sent), removed at once; a root where that
// cannot be tried (read-only, full) counts as keeping them, as every root did before.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, open, unlink } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { TEMP_PREFIX, chmodUnsupported } from '@zync/common';

export async function keepsPermissionBits(root: string): Promise<boolean> {
  const probe = nodePath.join(root, `${TEMP_PREFIX}modes-${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx', 0o600)).close();
  } catch {
    return true;
  }
  try {
    // Two sets of bits: a root that forces one of them still fails the other.
    for (const bits of [0o640, 0o604]) {
      await chmod(probe, bits);
      if (((await lstat(probe)).mode & 0o777) !== bits) return false;
    }
    return true;
  } catch (err) {
    // Refused on a file of its own (fusefat: ENOSYS; vfat without `quiet`: EPERM): no modes.
    return !chmodUnsupported(err, true);
  } finally {
    await unlink(probe).catch(() => undefined);
  }
}
