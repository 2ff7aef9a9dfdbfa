import { describe, expect, it } from 'vitest';
import { offDiskError, offDiskMessage, rootsOffTheirDisk, type Disk, type RootDisk } from './root-disks.js';

const DISK = 2049;
const MOUNT_POINT_FS = 64768;
// The disk docs is on when mounted, and the file system its mount point is on (with code).
const usb: Disk = { dev: DISK, mountPoint: '/mnt/usb' };
const system: Disk = { dev: MOUNT_POINT_FS, mountPoint: '/' };
const docs: RootDisk = { name: 'docs', root: '/mnt/usb/docs', real: '/mnt/usb/docs', ...usb };
const code: RootDisk = { name: 'code', root: '/home/r/code', real: '/home/r/code', ...system };
const bound = new Map([['docs', '/mnt/usb/docs'], ['code', '/home/r/code']]);
const devices = new Map([['docs', usb], ['code', system]]);

describe('rootsOffTheirDisk', () => {
  it.each<[string, RootDisk[], { records?: string[]; devices?: Map<string, Disk> }, string[]]>([
    ['every root on its disk', [docs, code], {}, []],
    ['a root below a mount point whose disk is not mounted (missing: the mount point is on another device)', [{ ...docs, ...system }, code], {}, ['docs']],
    ['a root that is the mount point, its disk not mounted (there, on the device of the directory above)', [{ ...docs, ...system }], {}, ['docs']],
    ['a disk mounted again at the same place under a new device number (NFS, btrfs after a reboot)', [{ ...docs, dev: 4242 }], {}, []],
    ['the system disk given a new device number', [{ ...code, dev: 4243 }], {}, []],
    ['a root removed with rm -rf on its own disk (the directory above is on the same device)', [docs], {}, []],
    ['a root R never received anything into (first run, or nothing on E)', [{ ...docs, ...system }], { records: ['code'] }, []],
    ['a root whose disk was never recorded (a state from before, or no pass ended yet)', [{ ...docs, ...system }], { devices: new Map() }, []],
    ['a root --dirs gives a new place on another disk (a moved root, resynced)', [{ ...docs, root: '/data/docs', real: '/data/docs', dev: 99, mountPoint: '/data' }], {}, []],
    ['the same place reached through a symbolic link, disk not mounted', [{ ...docs, root: '/link/docs', ...system }], {}, ['docs']],
    ['only the roots off their disk, in --dirs order', [{ ...code, dev: 5, mountPoint: '/home' }, { ...docs, ...system }], {}, ['code', 'docs']],
  ])('%s', (_name, roots, over, expected) => {
    const records = over.records ?? ['docs', 'code'];
    const recorded = over.devices ?? devices;
    const held = rootsOffTheirDisk(roots, {
      hasRecords: (name) => records.includes(name),
      boundRoot: (name) => bound.get(name),
      rootDisk: (name) => recorded.get(name),
    });
    expect(held.map((d) => d.name)).toEqual(expected);
  });
});

describe('the sentences', () => {
  it('name the root and its path, say the disk seems not mounted, and both ways forward', () => {
    expect(offDiskMessage(docs)).toBe(
      'The local directory for "docs" (/mnt/usb/docs) is not on the disk it was synced on, so its disk seems not mounted; it is left as it is, with its records, until the disk is back — mount it, or if "docs" really moved to another disk, run once with --new-disk docs.',
    );
    const err = offDiskError([docs, code], 'nothing is sent upstream');
    expect(err.code).toBe('ROOT_NOT_MOUNTED');
    expect(err.message).toMatch(/^The local directory for "docs" \(\/mnt\/usb\/docs\) .* seems not mounted; nothing is sent upstream — .*--new-disk docs \(and 1 more root\(s\) likewise\)\.$/);
  });
});
