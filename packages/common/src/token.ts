// Bearer tokens: where they come from (flag, file, ZYNC_TOKEN), how they are stored (mode 0600,
// refused when others may read them) and how they are compared (constant time). A token value
// is never logged or put in an error message.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
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
  let info;
  try {
    info = await stat(path);
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
    token = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    // Mode 0600 but another user's: the stat above succeeds, the read does not.
    throw new ZyncError('BAD_ARGUMENT', `Token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { cause: err });
  }
  if (!token) throw new ZyncError('BAD_ARGUMENT', `Token file ${path} is empty.`);
  return token;
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
