import { ZyncError } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { applyDiskFullError, isDiskFull, stagingDiskFullError, startDiskFullError, stateDiskFullError } from './state-disk-full.js';

const withCode = (code: string) => Object.assign(new Error('x'), { code });

describe('isDiskFull', () => {
  it.each<[string, unknown, boolean]>([
    ["SQLite's SQLITE_FULL", withCode('SQLITE_FULL'), true],
    ['no space left on the device', withCode('ENOSPC'), true],
    ["the user's quota", withCode('EDQUOT'), true],
    ['a DISK_FULL ZyncError', new ZyncError('DISK_FULL', 'full'), true],
    ['a busy database is not', withCode('SQLITE_BUSY'), false],
    ['an I/O error is not', withCode('SQLITE_IOERR'), false],
    ['another ZyncError is not', new ZyncError('NOT_FOUND', 'gone'), false],
    ['a plain Error', new Error('database or disk is full'), false],
    ['not an error at all', 'full', false],
  ])('%s', (_why, err, expected) => {
    expect(isDiskFull(err)).toBe(expected);
  });
});

describe('stateDiskFullError', () => {
  it('names the database and the directory whose file system to free, and says no restart is needed', () => {
    const err = stateDiskFullError(withCode('SQLITE_FULL'), '/srv/zync/sync.db');
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(err!.message).toBe(
      "E's disk is full: the daemon cannot write its state database /srv/zync/sync.db. Free space on the file system that holds /srv/zync (df /srv/zync); the daemon carries on by itself once there is room, no restart needed.",
    );
  });
  it('says what goes unrecorded, in the same sentence', () => {
    const err = stateDiskFullError(withCode('SQLITE_FULL'), '/srv/zync/sync.db', 'when clients were last seen');
    expect(err!.message).toBe(
      "E's disk is full: the daemon cannot write its state database /srv/zync/sync.db, so it cannot record when clients were last seen. Free space on the file system that holds /srv/zync (df /srv/zync); the daemon carries on by itself once there is room, no restart needed.",
    );
  });
  it('is null for anything else', () => {
    expect(stateDiskFullError(withCode('SQLITE_BUSY'), '/srv/zync/sync.db')).toBeNull();
  });
});

describe('startDiskFullError', () => {
  it('says the daemon did not start and is to be started again, not that it carries on', () => {
    const err = startDiskFullError(withCode('SQLITE_FULL'), '/srv/zync/sync.db');
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(err!.message).toBe(
      "E's disk is full: the daemon cannot write its state database /srv/zync/sync.db, so it did not start. Free space on the file system that holds /srv/zync (df /srv/zync); then start the daemon again.",
    );
  });
  it('is null for anything else', () => {
    expect(startDiskFullError(withCode('SQLITE_BUSY'), '/srv/zync/sync.db')).toBeNull();
  });
});

describe('stagingDiskFullError', () => {
  it("words an upload E could not stage as E's log words a full disk, with what R's user does next", () => {
    const err = stagingDiskFullError('stage docs/a.txt (session s1 was aborted)', '/srv/zync/zync-staging', withCode('ENOSPC'));
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(err.message).toBe(
      "E's disk is full: the daemon cannot stage docs/a.txt (session s1 was aborted). Free space on the file system that holds /srv/zync/zync-staging (df /srv/zync/zync-staging); then run --update-upstream again.",
    );
  });
});

describe('applyDiskFullError', () => {
  it("words zync-apply's full disk as the daemon's, with zync-apply to run again", () => {
    const err = applyDiskFullError(withCode('SQLITE_FULL'), "open the daemon's state database /srv/zync/sync.db, so it changed nothing", '/srv/zync/sync.db');
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(err!.message).toBe(
      "E's disk is full: zync-apply cannot open the daemon's state database /srv/zync/sync.db, so it changed nothing. Free space on the file system that holds /srv/zync (df /srv/zync); then run zync-apply again.",
    );
  });
  it('names the command to run again where it is known', () => {
    const err = applyDiskFullError(withCode('SQLITE_FULL'), 'record docs/a.txt', '/srv/zync/sync.db', 'zync-apply apply s1');
    expect(err!.message).toMatch(/; then run zync-apply apply s1 again\.$/);
  });
  it('is null for anything else', () => {
    expect(applyDiskFullError(withCode('SQLITE_CANTOPEN'), 'open it', '/srv/zync/sync.db')).toBeNull();
  });
});
