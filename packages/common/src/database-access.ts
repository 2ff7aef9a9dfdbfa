// Whether this process may open a daemon database read-write without harming the daemon. SQLite
// keeps a WAL database's write-ahead log and shared-memory index beside the name it is opened by
// (DB-wal, DB-shm), made by whoever opens it first and owned by that user. A non-root user other
// than the database's owner leaves them unwritable for the daemon (it then cannot start or write);
// root is safe, since SQLite gives the files it makes as root to the database's owner. A second
// hard link is a second name, so a second write-ahead log: a checkpoint through one name throws
// away what the other holds (the daemon's whole log, seen happen), and zync's lock beside the
// database guards one name only. The same holds for zync-client's state on R. Refused before
// anything opens. Ownership counts only where the file system records it: on vfat, CIFS or an
// all_squash NFS export every file gets the mount's owner, whoever makes it, so the side files are
// as writable as the database and refusing protects nothing. judgeDatabaseAccess decides from
// facts; checkDatabaseAccess reads them, and writes nothing but, when the owners differ, one probe
// file beside the database (to learn whether a new file gets its maker as owner), removed at once
// where the file system lets it be.
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import * as nodePath from 'node:path';
import { ZyncError } from './protocol/errors.js';

export interface DatabaseAccessFacts {
  /** The real path of the database. */
  path: string;
  euid: number;
  /** The database file, or null when it does not exist yet (or is no regular file). */
  db: { uid: number; nlink: number; mode: number; writable: boolean } | null;
  dir: { mode: number; writable: boolean };
  /** DB-wal and DB-shm, those that exist. */
  sideFiles: readonly { path: string; uid: number; writable: boolean }[];
  /**
   * False when a file this process made in the database's directory got the database's owner
   * instead of euid (vfat, CIFS, all_squash NFS): owners there say nothing about who made a file.
   * True when that was not looked at (same owner, root, no database) or could not be.
   */
  ownersRecorded: boolean;
  /** A user's name for messages: "alice (uid 1000)". */
  userName: (uid: number) => string;
  /**
   * The state directory was made by this run, which removes it again when refused: a refusal
   * then says so, rather than asking for a chmod of a directory no longer there.
   */
  dirMade?: boolean;
}

/** Whose database it is, for the sentences: the daemon's change log or zync-client's state. */
export type DatabaseKeeper = 'daemon' | 'client';

const KEEPERS: Record<DatabaseKeeper, { program: string; state: string }> = {
  daemon: { program: 'the daemon', state: "the daemon's log" },
  client: { program: 'zync-client', state: "the client's state" },
};

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** A ZyncError (one sentence) when opening the database read-write could harm it, else null. */
export function judgeDatabaseAccess(f: DatabaseAccessFacts, keeper: DatabaseKeeper = 'daemon'): ZyncError | null {
  const { program, state } = KEEPERS[keeper];
  if (f.db && f.db.nlink > 1) {
    return new ZyncError(
      'BAD_ARGUMENT',
      `The database ${f.path} has ${f.db.nlink} names (hard links), and SQLite keeps a separate write-ahead log per name, which can lose ${state}: remove the other links (find / -xdev -samefile ${f.path}) and pass --db with ${keeper === 'daemon' ? "the daemon's database" : state}.`,
    );
  }
  if (f.euid === 0) return null;
  const me = f.userName(f.euid);
  if (f.db && f.db.uid !== f.euid && f.ownersRecorded) {
    const owner = f.userName(f.db.uid);
    // Root is no way out for the client: it does not keep owners, so a root pull would leave
    // root's files and directories in R's roots, where the owner's next run fails (EACCES).
    const runAs = f.db.uid === 0 ? 'root' : keeper === 'client' ? owner : `${owner} or as root`;
    return new ZyncError(
      'PERMISSION_DENIED',
      `The database ${f.path} belongs to ${owner}, not to ${me}; run this as ${runAs}, so that the files SQLite makes beside it stay writable for ${program}.`,
    );
  }
  const dir = nodePath.dirname(f.path);
  if (!f.dir.writable && f.dirMade === true) {
    // The caller takes it back. A new directory gets 0777 less the umask: what usually narrows it.
    return new ZyncError(
      'PERMISSION_DENIED',
      `The state directory ${dir}, made by this run with mode ${octal(f.dir.mode)}, is not writable by ${me}, and SQLite and zync keep their files beside the database there, so it was removed again; run this with a umask that leaves the owner write and search permission (umask 022, say), or pass another --db.`,
    );
  }
  if (!f.dir.writable) {
    return new ZyncError(
      'PERMISSION_DENIED',
      `The state directory ${dir} (mode ${octal(f.dir.mode)}) is not writable by ${me}, and SQLite and zync keep their files beside the database there; make it writable (chmod u+w ${dir}).`,
    );
  }
  if (f.db && !f.db.writable) {
    return new ZyncError('PERMISSION_DENIED', `The database ${f.path} (mode ${octal(f.db.mode)}) is read-only; make it writable by its owner (chmod u+w ${f.path}).`);
  }
  const foreign = f.sideFiles.find((s) => !s.writable);
  if (foreign) {
    return new ZyncError(
      'PERMISSION_DENIED',
      `${foreign.path} belongs to ${f.userName(foreign.uid)}, not to the database's owner ${me} (left by a zync run as that user); give it back as root (chown ${f.euid} ${f.path}-wal ${f.path}-shm) and retry.`,
    );
  }
  return null;
}

/**
 * Throws judgeDatabaseAccess's refusal for the database at dbPath (a real path). `dirMade`: this
 * run made the state directory and removes it when this throws (DatabaseAccessFacts.dirMade).
 */
export function checkDatabaseAccess(dbPath: string, keeper: DatabaseKeeper = 'daemon', options: { dirMade?: boolean } = {}): void {
  const refusal = judgeDatabaseAccess({ ...readDatabaseAccessFacts(dbPath), dirMade: options.dirMade === true }, keeper);
  if (refusal) throw refusal;
}

function readDatabaseAccessFacts(dbPath: string): DatabaseAccessFacts {
  const writable = (path: string, mode = constants.W_OK) => {
    try {
      accessSync(path, mode);
      return true;
    } catch {
      return false;
    }
  };
  const statOrNull = (path: string) => statSync(path, { throwIfNoEntry: false }) ?? null;
  const db = statOrNull(dbPath);
  const dir = nodePath.dirname(dbPath);
  const euid = process.geteuid?.() ?? 0;
  const sideFiles = [];
  for (const path of [`${dbPath}-wal`, `${dbPath}-shm`]) {
    const info = statOrNull(path);
    if (info) sideFiles.push({ path, uid: info.uid, writable: writable(path) });
  }
  return {
    path: dbPath,
    euid,
    // Not a regular file (a directory, say): SQLite's own refusal names it.
    db: db?.isFile() ? { uid: db.uid, nlink: db.nlink, mode: db.mode, writable: writable(dbPath) } : null,
    dir: { mode: statOrNull(dir)?.mode ?? 0, writable: writable(dir, constants.W_OK | constants.X_OK) },
    sideFiles,
    // Only asked when ownership alone would refuse: it writes, so not on every start.
    ownersRecorded: db?.isFile() && euid !== 0 && db.uid !== euid ? newFileOwner(dir) !== db.uid : true,
    userName,
  };
}

/**
 * The owner a new file in dir gets, learnt by making one (O_EXCL: never someone else's) and
 * removing it; null when none can be made, so the owners on disk are taken at their word. One that
 * cannot be removed (a share granting create but not delete, an append-only directory) stays, an
 * empty file named for what it is: the answer stands without its removal, so the run goes on.
 */
function newFileOwner(dir: string): number | null {
  const path = nodePath.join(dir, `.zync-owner-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    return null;
  }
  try {
    return fstatSync(fd).uid;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // left in place (above)
    }
  }
}

/** "name (uid N)" from /etc/passwd, or "uid N" for a user it does not list. */
/** A user as sentences name them: "alice (uid 1000)", or "uid 1000" where no name is known. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === uid && id !== '') return `${name} (uid ${uid})`;
    }
  } catch {
    // no passwd file (a container, another OS)
  }
  return `uid ${uid}`;
}

/**
 * Makes a database file that does not exist yet, empty and its owner's alone (0600), for SQLite to
 * open: it holds every synced path name, and SQLite would make it 0666 less the umask (0644), its
 * DB-wal and DB-shm taking the database's mode. An existing database keeps its mode: one shared
 * with a group on purpose stays so.
 */
export function makePrivateDatabaseFile(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch {
    // There already (kept as it is), or not makeable here: SQLite's own open then says why.
  }
}
