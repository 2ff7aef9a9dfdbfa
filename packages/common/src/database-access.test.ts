import { describe, expect, it } from 'vitest';
import { judgeDatabaseAccess, type DatabaseAccessFacts } from './database-access.js';

const userName = (uid: number) => (uid === 0 ? 'root (uid 0)' : uid === 1000 ? 'alice (uid 1000)' : `uid ${uid}`);
const facts = (over: Partial<DatabaseAccessFacts>): DatabaseAccessFacts => ({
  path: '/s/sync.db',
  euid: 1000,
  db: { uid: 1000, nlink: 1, mode: 0o100644, writable: true },
  dir: { mode: 0o40755, writable: true },
  sideFiles: [],
  ownersRecorded: true,
  userName,
  ...over,
});

describe('judgeDatabaseAccess', () => {
  it.each([
    { name: "the owner, on the owner's database", f: facts({}) },
    { name: 'the owner, while the daemon holds its side files', f: facts({ sideFiles: [{ path: '/s/sync.db-wal', uid: 1000, writable: true }] }) },
    { name: "the owner, on side files another user made writable for it (a shared group)", f: facts({ sideFiles: [{ path: '/s/sync.db-shm', uid: 4242, writable: true }] }) },
    { name: 'the owner, on a database not made yet', f: facts({ db: null }) },
    { name: "root, on another user's database (SQLite gives root's side files to the owner)", f: facts({ euid: 0 }) },
    {
      name: "another user, where the file system gives every file the database's owner (vfat, CIFS, all_squash NFS)",
      f: facts({ euid: 4242, ownersRecorded: false }),
    },
    { name: 'root, in a state directory no one may write', f: facts({ euid: 0, dir: { mode: 0o40555, writable: true } }) },
  ])('lets $name open it', ({ f }) => {
    expect(judgeDatabaseAccess(f)).toBeNull();
  });

  it.each([
    {
      name: 'a database with a second hard link, even to root',
      f: facts({ euid: 0, db: { uid: 1000, nlink: 2, mode: 0o100644, writable: true } }),
      code: 'BAD_ARGUMENT',
      message: "The database /s/sync.db has 2 names (hard links), and SQLite keeps a separate write-ahead log per name, which can lose the daemon's log: remove the other links (find / -xdev -samefile /s/sync.db) and pass --db with the daemon's database.",
    },
    {
      name: "another user's database",
      f: facts({ euid: 4242 }),
      code: 'PERMISSION_DENIED',
      message: 'The database /s/sync.db belongs to alice (uid 1000), not to uid 4242; run this as alice (uid 1000) or as root, so that the files SQLite makes beside it stay writable for the daemon.',
    },
    {
      name: "root's database, to a user",
      f: facts({ db: { uid: 0, nlink: 1, mode: 0o100644, writable: false } }),
      code: 'PERMISSION_DENIED',
      message: 'The database /s/sync.db belongs to root (uid 0), not to alice (uid 1000); run this as root, so that the files SQLite makes beside it stay writable for the daemon.',
    },
    {
      name: 'a state directory its owner may not write (0555)',
      f: facts({ dir: { mode: 0o40555, writable: false } }),
      code: 'PERMISSION_DENIED',
      message: 'The state directory /s (mode 0555) is not writable by alice (uid 1000), and SQLite and zync keep their files beside the database there; make it writable (chmod u+w /s).',
    },
    {
      name: 'a state directory this run made unwritable (umask 0277), which it takes back',
      f: facts({ db: null, dir: { mode: 0o40500, writable: false }, dirMade: true }),
      code: 'PERMISSION_DENIED',
      message:
        'The state directory /s, made by this run with mode 0500, is not writable by alice (uid 1000), and SQLite and zync keep their files beside the database there, so it was removed again; run this with a umask that leaves the owner write and search permission (umask 022, say), or pass another --db.',
    },
    {
      name: 'a read-only database',
      f: facts({ db: { uid: 1000, nlink: 1, mode: 0o100444, writable: false } }),
      code: 'PERMISSION_DENIED',
      message: 'The database /s/sync.db (mode 0444) is read-only; make it writable by its owner (chmod u+w /s/sync.db).',
    },
    {
      name: "side files another user left that the owner cannot write",
      f: facts({ sideFiles: [{ path: '/s/sync.db-wal', uid: 4242, writable: false }] }),
      code: 'PERMISSION_DENIED',
      message: "/s/sync.db-wal belongs to uid 4242, not to the database's owner alice (uid 1000) (left by a zync run as that user); give it back as root (chown 1000 /s/sync.db-wal /s/sync.db-shm) and retry.",
    },
  ])('refuses $name with one sentence', ({ f, code, message }) => {
    expect(judgeDatabaseAccess(f)).toEqual(expect.objectContaining({ code, message }));
  });

  it.each([
    {
      name: 'a client state with a second hard link',
      f: facts({ path: '/r/sync_client.db', db: { uid: 1000, nlink: 3, mode: 0o100644, writable: true } }),
      code: 'BAD_ARGUMENT',
      message: "The database /r/sync_client.db has 3 names (hard links), and SQLite keeps a separate write-ahead log per name, which can lose the client's state: remove the other links (find / -xdev -samefile /r/sync_client.db) and pass --db with the client's state.",
    },
    {
      name: "another user's client state",
      f: facts({ path: '/r/sync_client.db', euid: 4242 }),
      code: 'PERMISSION_DENIED',
      // Not "or as root": the client keeps no owners, so root's pull leaves R's roots unwritable to alice.
      message: 'The database /r/sync_client.db belongs to alice (uid 1000), not to uid 4242; run this as alice (uid 1000), so that the files SQLite makes beside it stay writable for zync-client.',
    },
  ])("refuses $name in zync-client's words", ({ f, code, message }) => {
    expect(judgeDatabaseAccess(f, 'client')).toEqual(expect.objectContaining({ code, message }));
  });
});
