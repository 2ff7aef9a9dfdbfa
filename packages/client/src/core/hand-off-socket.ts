// Whether a one-shot may ask what listens at `<db>.sock`: only a socket of its own user's. A --db
// in a directory others may write to (/tmp, a shared 1777 directory) lets another user bind that
// path first; whoever answers there would learn the one-shot's setup (its server, roots and the
// token's digest) and could report an upload that never happened. The running client's socket is
// always its user's (it binds it); a symbolic link or a stranger's socket is not asked. One of the
// same user as the state's running client is that client's own (root running the command on a
// user's service): not asked either, but said as such. Pure: the path's lstat comes in as data.

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

/**
 * Whether the socket the one-shot may not ask is the running client's own, of another user than
 * the one-shot's (root's command on a user's service): the socket and the lock's holder are of one
 * user. The way on is then to run the command as that user, not to move --db. `holderUid`
 * undefined (the holder's user cannot be known): false, socketNotOurs's warning stands.
 */
export function socketOfOtherUsersClient(entry: SocketEntry, ownUid: number | undefined, holderUid: number | undefined): boolean {
  return entry.kind === 'socket' && ownUid !== undefined && holderUid === entry.uid && entry.uid !== ownUid;
}
