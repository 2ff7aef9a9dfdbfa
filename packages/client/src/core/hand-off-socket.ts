// Whether a one-shot may ask what listens at `<db>.sock`: only a socket of its own user's. A --db
// in a directory others may write to (/tmp, a shared 1777 directory) lets another user bind that
// path first; whoever answers there would learn the one-shot's setup (its server, roots and the
// token's digest) and could report an upload that never happened. The running client's socket is
// always its user's (it binds it); a symbolic link or a stranger's socket is not asked. Pure: the
// path's lstat comes in as data.

/** What lstat says is at the socket's path. */
export interface SocketEntry {
  kind: 'socket' | 'symlink' | 'other';
  uid: number;
}

/**
 * Null when the one-shot may connect; else why not, as the end of a sentence naming the path.
 * `ownUid` undefined (no geteuid on this platform): only the kind is checked.
 */
export function socketNotOurs(entry: SocketEntry, ownUid: number | undefined): string | null {
  if (entry.kind === 'symlink') return 'is a symbolic link, not the socket a running zync-client makes';
  if (entry.kind === 'other') return 'is not a socket';
  if (ownUid !== undefined && entry.uid !== ownUid) return `belongs to another user (uid ${entry.uid}), not to this one (uid ${ownUid})`;
  return null;
}
