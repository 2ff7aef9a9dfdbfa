import { describe, expect, it } from 'vitest';
import { dirsToSync } from './durable-dirs.js';

describe('dirsToSync', () => {
  it.each<[string, string, string[], string[], string[]]>([
    [
      'the first backup of a run fsyncs the whole chain up to the state directory',
      '/state/zync-backups/S/docs',
      [],
      ['/state/zync-backups/S/docs', '/state/zync-backups/S', '/state/zync-backups', '/state'],
      ['/state/zync-backups/S/docs', '/state/zync-backups/S', '/state/zync-backups'],
    ],
    [
      'a later backup in the same directory fsyncs only that directory',
      '/state/zync-backups/S/docs',
      ['/state/zync-backups/S/docs', '/state/zync-backups/S', '/state/zync-backups'],
      ['/state/zync-backups/S/docs'],
      [],
    ],
    [
      'a new subdirectory fsyncs itself and its parent, and stops at the durable chain',
      '/state/zync-backups/S/docs/a/b',
      ['/state/zync-backups/S/docs', '/state/zync-backups/S', '/state/zync-backups'],
      ['/state/zync-backups/S/docs/a/b', '/state/zync-backups/S/docs/a', '/state/zync-backups/S/docs'],
      ['/state/zync-backups/S/docs/a/b', '/state/zync-backups/S/docs/a'],
    ],
    ['a directory that is the top itself needs only its own fsync', '/state', [], ['/state'], []],
    ['a path outside the top stops at the file system root', '/elsewhere/x', [], ['/elsewhere/x', '/elsewhere', '/'], ['/elsewhere/x', '/elsewhere']],
  ])('%s', (_name, dir, durable, fsync, nowDurable) => {
    expect(dirsToSync('/state', dir, new Set(durable))).toEqual({ fsync, durable: nowDurable });
  });
});
