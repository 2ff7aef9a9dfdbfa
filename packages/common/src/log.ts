// Logging for all binaries: levelled, always to stderr (stdout is for command output such as
// `zync-apply list --json`). Secrets are redacted by key wherever they appear. Two formats:
// `text` for people and journals (one line per record, a date and the UTC offset, so a log kept
// for days or read from another time zone is unambiguous) and `json` for log collectors (one
// object per line: ISO time in UTC, level as a word, msg, and the record's fields).
import { destination as fdDestination, levels, pino, stdTimeFunctions, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  format?: LogFormat;
  /** Instead of stderr itself, a stream that writes to it (zync-client's status line steps around records). */
  destination?: NodeJS.WritableStream | number;
}

const REDACT = { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' };

export function createLogger(name: string, level: LogLevel = 'info', options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? 2;
  if (options.format === 'json') {
    return pino(
      {
        name,
        level,
        redact: REDACT,
        base: { name },
        timestamp: stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      typeof destination === 'number' ? fdDestination({ fd: destination, sync: true }) : destination,
    );
  }
  const stream = pretty({
    destination,
    sync: true,
    colorize: process.stderr.isTTY === true,
    ignore: 'pid,hostname',
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
  });
  return pino({ name, level, redact: REDACT }, stream);
}

/** A log record as another process's logger takes it: its level's name, its message, its other fields. */
export interface LogRecord {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * A logger whose records go to `onRecord` rather than to stderr (redacted as createLogger's are):
 * zync-client hands them to the one-shot it works for, which prints them as its own.
 */
export function createForwardingLogger(name: string, level: LogLevel, onRecord: (record: LogRecord) => void): Logger {
  const labels = levels.labels;
  return pino({ name, level, redact: REDACT }, {
    write(line: string) {
      const { level: number, msg, time: _time, pid: _pid, hostname: _host, name: _name, ...fields } = JSON.parse(line) as Record<string, unknown>;
      onRecord({ level: labels[Number(number)] ?? 'info', msg: typeof msg === 'string' ? msg : '', fields });
    },
  });
}
