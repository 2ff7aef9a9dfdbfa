// Bearer tokens: where they come from (flag, file, ZYNC_TOKEN), how they are stored (mode 0600,
// refused when others may read them) and how they are compared (constant time). A token value
// is never logged or put in an error message.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ZyncError } from './protocol/errors.js';

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes the compared lengths equal. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function readTokenFile(path: string): Promise<string> {
  return readTokenFileSync(path);
}

/** More than any token; a file this large is not a token file, and a read of it stays bounded. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * The bytes of a regular file, read through one fd whose fstat proved it a regular file: a FIFO
 * or a link to a device (/dev/zero) put in the token file's place would otherwise block the
 * event loop or read forever. O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
 */
function readRegularFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ZyncError('BAD_ARGUMENT', `Token file ${path} does not exist or cannot be read.`);
    // Mode 0600 but another user's: the stat succeeds, the open does not.
    throw new ZyncError('BAD_ARGUMENT', `Token file ${path} cannot be read (${code ?? (err as Error).message}).`, { cause: err });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ZyncError('BAD_ARGUMENT', `Token file ${path} is not a file.`);
    if ((info.mode & 0o077) !== 0) {
      throw new ZyncError(
        'BAD_ARGUMENT',
        `Token file ${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}.`,
      );
    }
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_TOKEN_FILE_BYTES) {
        throw new ZyncError('BAD_ARGUMENT', `Token file ${path} is larger than ${MAX_TOKEN_FILE_BYTES} bytes: it does not hold a token.`);
      }
    }
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof ZyncError) throw err;
    throw new ZyncError('BAD_ARGUMENT', `Token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/** readTokenFile's checks and read, synchronous: a small file, read again at a connection's start. */
function readTokenFileSync(path: string): string {
  const token = readRegularFile(path).toString('utf8').trim();
  if (!token) throw new ZyncError('BAD_ARGUMENT', `Token file ${path} is empty.`);
  return token;
}

/**
 * What tells one version of a file from the next: its stat and a digest of its bytes. The stat
 * alone misses a same-length rewrite in place within one timestamp tick (file systems stamp
 * times from a clock that ticks every few milliseconds); a token file is a few bytes to read.
 */
function fileVersion(path: string): string | null {
  let stamp: string;
  try {
    const s = statSync(path, { bigint: true });
    stamp = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`;
  } catch {
    return null;
  }
  try {
    return `${stamp}:${createHash('sha256').update(readRegularFile(path)).digest('hex')}`;
  } catch (err) {
    // Unreadable (another user's), not a file, too large: its stat still tells the next version.
    return `${stamp}:${err instanceof Error ? err.message : 'unreadable'}`;
  }
}

/** A digest that tells tokens apart without keeping or showing the token itself. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * A token kept in a file that may be rewritten while the program runs (a rotated token): current()
 * looks at the file (its stat and its bytes, fileVersion) and takes its token again, with
 * readTokenFile's checks, only when it changed. A version that fails them (readable by others, empty, gone half-way through a rewrite)
 * is said once through `problem` and the last good token stays in use. Changes are said through
 * `changed`; the token itself is never passed to either.
 */
export class TokenFile {
  private token: string;
  private version: string | null;
  /** A version failed the checks since the last good one: the next good one says it is fixed. */
  private troubled = false;

  private constructor(
    readonly path: string,
    token: string,
    version: string | null,
  ) {
    this.token = token;
    this.version = version;
  }

  /** Reads the file now; its problems are the caller's failure (BAD_ARGUMENT), as at a start. */
  static async open(path: string): Promise<TokenFile> {
    const version = fileVersion(path);
    return new TokenFile(path, await readTokenFile(path), version);
  }

  current(notes: { changed?: (message: string) => void; problem?: (message: string) => void } = {}): string {
    const version = fileVersion(this.path);
    if (version === this.version) return this.token;
    this.version = version;
    try {
      const token = readTokenFileSync(this.path);
      const troubled = this.troubled;
      this.troubled = false;
      if (token !== this.token) {
        this.token = token;
        notes.changed?.(`The token file ${this.path} changed; the token it holds now is the one in use.`);
      } else if (troubled) {
        // Briefly gone, empty or open to others (an editor's save): its problem was said, so is its end.
        notes.changed?.(`The token file ${this.path} is fine again; the token in use is the one it held before.`);
      }
    } catch (err) {
      this.troubled = true;
      const why = err instanceof Error ? err.message : String(err);
      notes.problem?.(`${why} The token read from it before stays in use until it is fixed.`);
    }
    return this.token;
  }
}

/** Creates the token file with mode 0600; fails if it already exists. */
export async function writeTokenFile(path: string, token: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The token from --token, else --token-file, else ZYNC_TOKEN; undefined when none is set. An
 * empty --token is refused rather than quietly passed over for another source.
 */
export async function resolveToken(options: {
  token?: string | undefined;
  tokenFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}): Promise<string | undefined> {
  if (options.token !== undefined && options.token.trim() === '') {
    throw new ZyncError('BAD_ARGUMENT', 'The token given with --token is empty: use --token, --token-file or ZYNC_TOKEN.');
  }
  if (options.token) return options.token;
  if (options.tokenFile) return readTokenFile(options.tokenFile);
  const fromEnv = (options.env ?? process.env).ZYNC_TOKEN;
  return fromEnv ? fromEnv : undefined;
}
