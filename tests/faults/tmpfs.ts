// A small tmpfs for the disk-full fault tests: mounted on a fresh temp dir (the tests run as root
// in CI), resized with `mount -o remount`, unmounted after the file. Where mounting is not
// possible (not root, no CAP_SYS_ADMIN), tmpfsUnavailable() says why and the tests skip with
// that message instead of faking a full disk. loopExt4Unavailable() is the same check for the tests
// that loop-mount an ext4 image of their own (reserved blocks, no birth times).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tempDir } from '../helpers/index.js';

export interface Tmpfs {
  dir: string;
  /** Changes the size limit (MiB). */
  resize(mib: number): void;
  /** Caps the number of inodes (files) at those in use now (true), or lifts the cap again. */
  limitInodes(toUsed: boolean): void;
  usedBytes(): number;
  freeBytes(): number;
  unmount(): void;
}

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });

const describeFailure = (err: unknown) => (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;

/** null when a tmpfs can be mounted here; otherwise the reason the disk-full tests are skipped. */
export function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'tmpfs disk-full tests need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'not running as root: no tmpfs can be mounted to fill up for real';
  }
  const probe = mkdtempSync(path.join(tmpdir(), 'zync-tmpfs-probe-'));
  try {
    run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    run(['umount', probe]);
    return null;
  } catch (err) {
    return `mount -t tmpfs is not permitted here (${describeFailure(err)})`;
  } finally {
    rmdirSync(probe);
  }
}

/** Mounts a tmpfs of `mib` MiB on a new temp dir. */
export function mountTmpfs(mib: number, prefix = 'zync-tmpfs-'): Tmpfs {
  const dir = tempDir(prefix);
  run(['mount', '-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', dir]);
  let mounted = true;
  const stats = () => statfsSync(dir);
  return {
    dir,
    resize(size: number) {
      run(['mount', '-o', `remount,size=${size}m`, dir]);
    },
    limitInodes(toUsed: boolean) {
      const s = stats();
      run(['mount', '-o', `remount,nr_inodes=${toUsed ? s.files - s.ffree : 1_000_000}`, dir]);
    },
    usedBytes() {
      const s = stats();
      return (s.blocks - s.bfree) * s.bsize;
    },
    freeBytes() {
      const s = stats();
      return s.bavail * s.bsize;
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      // Lazy: a straggling child holding a file open must not make afterAll fail.
      run(['umount', '-l', dir]);
    },
  };
}

/** null when an ext4 image can be made and loop-mounted here; otherwise why the test is skipped. */
export function loopExt4Unavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return `no mkfs.ext4 or free loop device (${(err as Error).message})`;
  }
}
