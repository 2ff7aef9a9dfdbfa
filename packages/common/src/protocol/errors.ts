// Stable error codes shared by the wire protocol and the binaries. A code never changes meaning;
// messages may be reworded. Nothing here may carry a secret (tokens are never put in messages).

export const ERROR_CODES = [
  'BAD_MESSAGE', // not JSON, not an object, or fields of the wrong shape
  'UNKNOWN_OPERATION',
  'HELLO_REQUIRED', // an operation that needs a client id came before HELLO
  'INCOMPATIBLE_PROTOCOL',
  'UNAUTHORIZED',
  'UNSAFE_PATH', // absolute, `..`, NUL, backslash, or resolving outside its root
  'IGNORED_PATH', // the daemon refuses an upstream entry its ignore rules exclude (the root's .zyncignore, built-in rules)
  'UNKNOWN_BASE_DIR',
  'NOT_FOUND',
  'FILE_CHANGED', // the file changed while it was read; retry later
  'CHECKSUM_MISMATCH',
  'RESYNC_REQUIRED', // the cursor is older than what the log still holds; or R must pull before --update-upstream (never synced, E's log recreated, a pull killed mid-batch)
  'TOO_LARGE',
  'UPSTREAM_STATE', // upstream operations out of order (no session, already finalized, ...)
  'PATH_CLASH', // a file where entries below it need a directory: an upstream session holding both (refused at FINALIZE), or R's file in the way of E's directory
  'DISK_FULL',
  'CONTENT_NEEDED', // UPSTREAM_FILE with from_e: E holds no copy of that content, live or staged (that still hashes right); R sends the bytes
  'ROOT_UNAVAILABLE', // a watched root vanished or was emptied
  'ROOT_NOT_MOUNTED', // zync-client: a local root is on another device than when it last synced (its disk not mounted)
  'ROOT_GONE', // zync-client: a local root disappeared while the client ran (moved or deleted); held, not made again
  'BAD_ARGUMENT', // command-line usage
  'CONNECTION_FAILED',
  'SESSION_NOT_APPLIABLE', // zync-apply: no such session, or one it refuses to apply (applied, aborted, uploading, conflicts)
  'IN_USE', // another zync process holds this state (database, client state)
  'PERMISSION_DENIED', // this user may not write the daemon's database, the client's state or its directory without harming its owner (run as its owner or root)
  'QUIT', // zync-apply: the person quit at a prompt (or said no); nothing more was done
  'LEFT_OUT', // zync-client --update-upstream: the rest was staged, but files were left out (changed while they were sent, or ignored on E)
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error a user can act on: a stable code plus one clear sentence. */
export class ZyncError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ZyncError';
  }
}

export function isZyncError(err: unknown): err is ZyncError {
  return err instanceof ZyncError;
}

/** The code of a Node fs error (ENOENT, EACCES, …); undefined for anything else thrown. */
export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Maps a Node fs error to a ZyncError where one fits (disk full), otherwise returns it as is. */
export function fromFsError(err: unknown, what: string): unknown {
  const code = errnoOf(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ZyncError('DISK_FULL', `No space left on device while ${what}.`, { cause: err });
  }
  return err;
}

/**
 * An fs error code that means this process may not read or search the path (EACCES, EPERM):
 * the path is there, so it must never be taken for gone.
 */
export function isNotPermitted(code: string | undefined): code is 'EACCES' | 'EPERM' {
  return code === 'EACCES' || code === 'EPERM';
}
