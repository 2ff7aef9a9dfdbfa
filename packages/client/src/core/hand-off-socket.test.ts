import { describe, expect, it } from 'vitest';
import { socketNotOurs, socketOfOtherUsersClient, type SocketEntry } from './hand-off-socket.js';

describe('socketNotOurs', () => {
  it.each<[string, SocketEntry, number | undefined, string | null]>([
    ["a socket of the one-shot's user", { kind: 'socket', uid: 1000 }, 1000, null],
    ['a socket of root, asked by root', { kind: 'socket', uid: 0 }, 0, null],
    ["another user's socket", { kind: 'socket', uid: 65534 }, 1000, 'belongs to another user (uid 65534), not to this one (uid 1000)'],
    ["root's socket, asked by a user", { kind: 'socket', uid: 0 }, 1000, 'belongs to another user (uid 0), not to this one (uid 1000)'],
    ["a user's socket, asked by root", { kind: 'socket', uid: 1000 }, 0, 'belongs to another user (uid 1000), not to this one (uid 0)'],
    ['a symbolic link of its own user', { kind: 'symlink', uid: 1000 }, 1000, 'is a symbolic link, not the socket a running zync-client makes'],
    ['a plain file', { kind: 'other', uid: 1000 }, 1000, 'is not a socket'],
    ['a socket where no uid can be known', { kind: 'socket', uid: 65534 }, undefined, null],
  ])('%s', (_, entry, ownUid, expected) => {
    expect(socketNotOurs(entry, ownUid)).toBe(expected);
  });
});

describe('socketOfOtherUsersClient', () => {
  it.each<[string, SocketEntry, number | undefined, number | undefined, boolean]>([
    ["a user's client, asked by root", { kind: 'socket', uid: 1000 }, 0, 1000, true],
    ["a user's client, asked by another user", { kind: 'socket', uid: 1000 }, 1001, 1000, true],
    ["the one-shot's own user's client", { kind: 'socket', uid: 1000 }, 1000, 1000, false],
    ["a stranger's socket beside another user's client (a shared directory)", { kind: 'socket', uid: 65534 }, 0, 1000, false],
    ["a holder whose user is unknown (no /proc)", { kind: 'socket', uid: 1000 }, 0, undefined, false],
    ['a symbolic link of the holder\'s user', { kind: 'symlink', uid: 1000 }, 0, 1000, false],
  ])('%s', (_, entry, ownUid, holderUid, expected) => {
    expect(socketOfOtherUsersClient(entry, ownUid, holderUid)).toBe(expected);
  });
});
