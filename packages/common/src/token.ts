// Bearer tokens: where they come from (flag, file, ZYNC_TOKEN), how they are stored (mode 0600,
// refused when others may read them) and how they are compared (constant time). A token value
// is never logged or put in an error message.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
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

/** readTokenFile's checks and read, synchronous: a small file, read again at a connection's start. */
function readTokenFileSync(path: string): string {
  let info;
  try {
    info = statSync(path);
  } catch {
    throw new ZyncError('BAD_ARGUMENT', `Token file ${path} does not exist or cannot be read.`);
  }
  if (!info.isFile()) throw new ZyncError('BAD_ARGUMENT', `Token file ${path} is not a file.`);
  if ((info.mode & 0o077) !== 0) {
    throw new ZyncError(
      'BAD_ARGUMENT',
      `Token file ${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}.`,
    );
  }
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    // Mode 0600 but another user's: the stat above succeeds, the read does not.
    throw new ZyncError('BAD_ARGUMENT', `Token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { cause: err });
  }
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
    return `${stamp}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  } catch (err) {
    // Unreadable (another user's): its stat still tells the next version from this one.
    return `${stamp}:${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
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
      if (token !== this.token) {
        this.token = token;
        notes.changed?.(`The token file ${this.path} changed; the token it holds now is the one in use.`);
      }
    } catch (err) {
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
