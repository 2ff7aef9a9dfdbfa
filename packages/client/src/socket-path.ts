// The name a Unix socket's path is bound and connected by. bind(2) and connect(2) take at most
// 107 bytes (sun_path), which `<db>.sock` of a state deep in a home directory exceeds. Such a path
// is reached through its directory instead: opened, and named /proc/self/fd/N/<socket's name>.
// The socket file is the same one at the same place, with its owner and mode, so every check on
// it holds (not so the abstract namespace, which has no file permissions); only the name given to
// the kernel is short. Linux only: where /proc/self/fd is not, a long path stays unreachable.
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import * as nodePath from 'node:path';

/** sun_path holds 108 bytes on Linux, its terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface SocketName {
  /** What to bind or connect (and what lstat sees as the socket). */
  name: string;
  /** Lets go of the directory: after the bind's close (which unlinks the socket by this name), or the connection. */
  close(): void;
}

/** The socket at `path` by a name short enough; null where there is none (the caller says why). */
export function openSocketName(path: string): SocketName | null {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES) return { name: path, close: () => undefined };
  let fd: number;
  try {
    fd = openSync(nodePath.dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return null;
  }
  const name = `/proc/self/fd/${fd}/${nodePath.basename(path)}`;
  if (Buffer.byteLength(name) > MAX_SOCKET_PATH_BYTES || !existsSync(`/proc/self/fd/${fd}`)) {
    closeSync(fd);
    return null;
  }
  let open = true;
  return {
    name,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
