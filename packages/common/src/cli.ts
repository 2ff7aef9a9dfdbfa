// What the three binaries share on the command line: the argument parser, failures turned into
// exit codes and a single sentence on stderr, numeric options checked as typed, and the version line.
import { createRequire } from 'node:module';
import type yargsFactory from 'yargs';
import { isZyncError, ZyncError, type ErrorCode } from './protocol/errors.js';
import { PROTOCOL_VERSION } from './protocol/version.js';
import { inertText } from './terminal-text.js';

/**
 * yargs, as its CommonJS build. Its ES module build wraps --help with a stand-in for wrap-ansi
 * that cuts words at the column ("a status line on a te|rminal", yargs#2112); this one wraps
 * between words. `yargs/yargs`, the bare factory: `yargs` itself also sets up a global instance,
 * which took 0.2 s. Loaded when called (by the binaries only), at run time: esbuild leaves it out
 * of the binaries' bundles.
 */
export function loadYargs(): typeof yargsFactory {
  return createRequire(import.meta.url)('yargs/yargs') as typeof yargsFactory;
}

/**
 * The column --help wraps at: the terminal's width, so that a narrower terminal does not break
 * the lines again in mid-word, but at most 100, past which option descriptions get hard to read.
 * Piped output (no width) gets 100.
 */
export function helpWidth(columns: number | undefined = process.stdout.columns): number {
  return columns !== undefined && columns > 0 ? Math.min(100, Math.max(40, columns)) : 100;
}

const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  BAD_ARGUMENT: 2,
  CONNECTION_FAILED: 3,
  UNAUTHORIZED: 4,
  INCOMPATIBLE_PROTOCOL: 5,
  SESSION_NOT_APPLIABLE: 6,
  DISK_FULL: 7,
  IN_USE: 8,
  // Not a failure, but not "done" either: a script must tell an applied session from one left waiting.
  QUIT: 9,
  PERMISSION_DENIED: 10,
  // Not a failure either: the session was staged, but a script must know some edits are still R's alone.
  LEFT_OUT: 11,
  ROOT_NOT_MOUNTED: 12,
  // zync-client --update-upstream before a pull made R's state match E's log: a script runs zync-client once, then again.
  RESYNC_REQUIRED: 13,
};

export function exitCodeFor(err: unknown): number {
  return isZyncError(err) ? (EXIT_CODES[err.code] ?? 1) : 1;
}

/**
 * Prints `<program>: <sentence>` and exits; unexpected errors also print their stack. Messages
 * name paths and ids the peer sent: their control characters are printed as escapes.
 */
export function failAndExit(program: string, err: unknown): never {
  if (isZyncError(err)) {
    process.stderr.write(`${program}: ${inertText(err.message)}\n`);
  } else {
    process.stderr.write(`${program}: unexpected error: ${inertText(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  }
  process.exit(exitCodeFor(err));
}

/**
 * Output nobody reads any more (`zync-apply list | head -1` closes the pipe early) is not the
 * command's failure: the work goes on and ends as it would. Without a listener Node ends the
 * process on the first write after that with an unhandled EPIPE and a stack trace, after an
 * upload was staged, say.
 */
export function ignoreClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** What a refusal of yargs' needs to be said as zync says it (see usageError). */
export interface UsageContext {
  /** The binary, for "see zync-apply --help". */
  program: string;
  /** The command line as given (hideBin(process.argv)): tells an unknown option from a stray word. */
  args: readonly string[];
  /** The binary's commands (zync-apply's), offered when the first word is none of them. */
  commands?: readonly string[];
}

/**
 * A refusal of yargs' as one sentence that says what to do: yargs' own messages name options
 * without their dashes ("Unknown argument: frob", "Arguments token and token-file are mutually
 * exclusive") and may wrap or lack the full stop. The binaries declare their valued options with
 * requiresArg, since yargs would otherwise take `--db` given without a value (last, or followed
 * by another option) as its default, ./sync.db.
 */
export function usageError(message: string, context?: UsageContext): ZyncError {
  const text = message.replace(/\s+/g, ' ').trim();
  return new ZyncError('BAD_ARGUMENT', (yargsSentence(text, context) ?? text).replace(/[.:]?$/, '.'));
}

/** yargs' fail handler for a binary: zync's own errors as they are, yargs' refusals as usageError says them. */
export function failWithUsage(context: UsageContext): (message: string | undefined, err: Error | undefined) => never {
  return (message, err) => {
    throw isZyncError(err) ? err : usageError(err?.message ?? message ?? 'Bad command line', context);
  };
}

/** "a", "a or b", "a, b or c" (or "and"). */
function orList(words: readonly string[], conjunction = 'or'): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)!}`;
}

function yargsSentence(text: string, context: UsageContext | undefined): string | null {
  const missing = /^Not enough arguments following: (\S+)$/.exec(text);
  if (missing) return `--${missing[1]} needs a value`;
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(text);
  if (exclusive) return `--${exclusive[1]} and --${exclusive[2]} cannot be given together; give only one of them`;
  const invalid = /^Invalid values: Argument: (\S+), Given: ("(?:[^"\\]|\\.)*"|\S+), Choices: ((?:"[^"]*"(?:, )?)+)/.exec(text);
  if (invalid) {
    const choices = [...invalid[3]!.matchAll(/"([^"]*)"/g)].map((choice) => choice[1]!);
    return `--${invalid[1]} must be ${orList(choices)}, not ${invalid[2]}`;
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(text);
  if (unknown && context) return unknownSentence(unknown[1]!.split(', '), context);
  return null;
}

/** yargs' "Unknown argument" covers both a mistyped option and a word no command takes. */
function unknownSentence(names: readonly string[], { program, args, commands }: UsageContext): string {
  const isOption = (name: string) =>
    args.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`) || arg === `--no-${name}` || (name.length === 1 && /^-[^-]/.test(arg) && arg.includes(name)));
  const options = names.filter(isOption);
  // A mistyped command first: the options after it may be the right ones for the command meant.
  const stray = names.find((name) => !isOption(name));
  if (commands && stray !== undefined && !args.some((arg) => commands.includes(arg))) return `Unknown command ${JSON.stringify(stray)}; use ${orList(commands)}`;
  if (options.length > 0) {
    return `Unknown option${options.length === 1 ? '' : 's'} ${orList(options.map((name) => (name.length === 1 ? `-${name}` : `--${name}`)), 'and')}; see ${program} --help for the options`;
  }
  const word = JSON.stringify(names[0]);
  if (commands && !args.some((arg) => commands.includes(arg))) return `Unknown command ${word}; use ${orList(commands)}`;
  return `Unexpected argument ${word}; see ${program} --help for the usage`;
}

/**
 * A numeric option read as the text the user typed (declare it `type: 'string'` to yargs, which
 * would turn "abc" into NaN), so that a refusal quotes the input: BAD_ARGUMENT
 * `--port must be a whole number from 0 to 65535, not "abc".` Plain decimals only.
 */
export function parseNumberOption(flag: string, text: string, rule: { min: number; max?: number; integer?: boolean }): number {
  const { min, max, integer = false } = rule;
  const kind = integer ? 'a whole number' : 'a number';
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  const value = Number(text);
  const shape = integer ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
  if (typeof text !== 'string' || !shape.test(text) || !Number.isFinite(value) || value < min || (max !== undefined && value > max)) {
    throw new ZyncError('BAD_ARGUMENT', `--${flag} must be ${kind} ${range}, not ${JSON.stringify(text)}.`);
  }
  return value;
}

/**
 * For yargs' check(): yargs makes an array of an option given twice, although the option is
 * typed as one value, and the array would reach code expecting a string. Which one was meant is
 * not ours to guess, so it is a BAD_ARGUMENT. `lists` names the options that take several values.
 */
export function refuseRepeatedOptions(argv: Readonly<Record<string, unknown>>, lists: readonly string[]): true {
  for (const [key, value] of Object.entries(argv)) {
    // yargs also sets a camelCase copy of each dashed option: the dashed one is reported.
    if (key === '_' || key === '$0' || /[A-Z]/.test(key) || lists.includes(key) || !Array.isArray(value)) continue;
    const given = value.map((v) => JSON.stringify(String(v))).join(', ');
    throw new ZyncError('BAD_ARGUMENT', `The option --${key} was given more than once (${given}); give it once.`);
  }
  return true;
}

/**
 * zync's release, as every package.json of the workspace gives it (a test keeps them equal).
 * Written here rather than read from package.json: the bundled binaries have none beside them.
 */
export const ZYNC_VERSION = '0.1.0';

/** What `--version` prints: the release and the protocol it speaks, to compare E's and R's. */
export function versionLine(): string {
  return `${ZYNC_VERSION} (protocol ${PROTOCOL_VERSION})`;
}

/** `text` as one shell word: as it is when nothing in it needs quoting, else in single quotes. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
