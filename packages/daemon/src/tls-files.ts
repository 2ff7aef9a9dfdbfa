// Reads the certificate and private key for --tls-cert/--tls-key (wss:// without SSH). Both or
// neither; a missing or unreadable file, or a pair that is not valid PEM or does not belong
// together, is one sentence (BAD_ARGUMENT) before the start-up scan begins. The key's content
// is never logged. A key every user may read is refused, as a token file is; one its group may
// read is only noted, because group-readable keys (an ssl-cert group) are a deliberate setup.
import { readFile, stat } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ZyncError, type Logger } from '@zync/common';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ZyncError('BAD_ARGUMENT', `The TLS ${what} file ${path} cannot be read (${code}).`);
  }
}

export async function readTlsFiles(certPath: string | undefined, keyPath: string | undefined, log: Logger): Promise<TlsFiles | undefined> {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new ZyncError('BAD_ARGUMENT', '--tls-cert and --tls-key must be given together.');
  }
  const [cert, key] = await Promise.all([readPem(certPath, 'certificate'), readPem(keyPath, 'key')]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ZyncError('BAD_ARGUMENT', `${certPath} and ${keyPath} are not a PEM certificate and its private key (${reason}).`);
  }
  const info = await stat(keyPath);
  const mode = (info.mode & 0o777).toString(8);
  if ((info.mode & 0o004) !== 0) {
    throw new ZyncError('BAD_ARGUMENT', `The TLS key ${keyPath} can be read by every user (mode ${mode}); run chmod 600 ${keyPath} (or 640 for a group that may read keys).`);
  }
  if ((info.mode & 0o040) !== 0) log.info(`the TLS key ${keyPath} can be read by its group (mode ${mode})`);
  return { cert, key };
}
