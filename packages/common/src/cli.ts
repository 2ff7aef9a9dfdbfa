// The one place that turns failures into exit codes and a single sentence on stderr.
import { isZyncError, type ErrorCode } from './protocol/errors.js';

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  BAD_ARGUMENT: 2,
  CONNECTION_FAILED: 3,
  UNAUTHORIZED: 4,
  INCOMPATIBLE_PROTOCOL: 5,
  SESSION_NOT_APPLIABLE: 6,
  DISK_FULL: 7,
  IN_USE: 8,
};

export function exitCodeFor(err: unknown): number {
  return isZyncError(err) ? (EXIT_CODES[err.code] ?? 1) : 1;
}

/** Prints `<program>: <sentence>` and exits; unexpected errors also print their stack. */
export function failAndExit(program: string, err: unknown): never {
  if (isZyncError(err)) {
    process.stderr.write(`${program}: ${err.message}\n`);
  } else {
    process.stderr.write(`${program}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(exitCodeFor(err));
}
