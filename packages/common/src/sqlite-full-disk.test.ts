import { describe, expect, it } from 'vitest';
import { judgeSqliteFullDisk, type FileSystemRoom } from './sqlite-full-disk.js';

const roomy: FileSystemRoom = { bytesFree: 50 * 1024 * 1024, files: 1000, filesFree: 900 };
const noBytes: FileSystemRoom = { bytesFree: 8192, files: 1000, filesFree: 900 };
const noInodes: FileSystemRoom = { bytesFree: 50 * 1024 * 1024, files: 1000, filesFree: 0 };
const uncounted: FileSystemRoom = { bytesFree: 50 * 1024 * 1024, files: 0, filesFree: 0 };

describe('judgeSqliteFullDisk', () => {
  it.each<[string, string | undefined, FileSystemRoom | null, boolean]>([
    ['SQLITE_FULL, whatever the room', 'SQLITE_FULL', roomy, true],
    ['SQLITE_FULL, room unknown', 'SQLITE_FULL', null, true],
    ['no room for the WAL index at open', 'SQLITE_IOERR_SHMSIZE', noBytes, true],
    ['a write refused on a full disk', 'SQLITE_IOERR_WRITE', noBytes, true],
    ['no inode left for DB-shm', 'SQLITE_CANTOPEN', noInodes, true],
    ['an I/O error with room left', 'SQLITE_IOERR_SHMSIZE', roomy, false],
    ['cannot open with room and inodes left (a directory, a permission)', 'SQLITE_CANTOPEN', roomy, false],
    ['a file system that counts no inodes', 'SQLITE_CANTOPEN', uncounted, false],
    ['an I/O error, room unknown', 'SQLITE_IOERR', null, false],
    ['not a database, on a full disk', 'SQLITE_NOTADB', noBytes, false],
    ['no code', undefined, noBytes, false],
  ])('%s', (_what, code, room, full) => {
    expect(judgeSqliteFullDisk(code, room)).toBe(full);
  });
});
