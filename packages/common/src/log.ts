// Logging for all binaries: levelled, human-readable, always to stderr (stdout is for command
// output such as `zync-apply list --json`). Secrets are redacted by key wherever they appear.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `destination`: instead of stderr itself, a stream that writes to it (zync-client's status line steps around records). */
export function createLogger(name: string, level: LogLevel = 'info', destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = pretty({
    destination,
    sync: true,
    colorize: process.stderr.isTTY === true,
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss.l',
  });
  return pino(
    {
      name,
      level,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    stream,
  );
}
