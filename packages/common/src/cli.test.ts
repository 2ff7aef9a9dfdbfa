import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { exitCodeFor, failAndExit, helpWidth, parseNumberOption, refuseRepeatedOptions, usageError, versionLine, ZYNC_VERSION } from './cli.js';
import { ERROR_CODES, ZyncError } from './protocol/errors.js';
import { PROTOCOL_VERSION } from './protocol/version.js';

describe('ZYNC_VERSION', () => {
  it('is the version every package of the workspace declares', () => {
    for (const pkg of ['common', 'daemon', 'client', 'apply']) {
      const manifest = JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string };
      expect(manifest.version, `packages/${pkg}/package.json`).toBe(ZYNC_VERSION);
    }
  });

  it('is printed with the protocol version', () => {
    expect(versionLine()).toBe(`${ZYNC_VERSION} (protocol ${PROTOCOL_VERSION})`);
  });
});

describe('helpWidth', () => {
  it('follows a narrow terminal and stops at 100 columns', () => {
    expect(helpWidth(80)).toBe(80);
    expect(helpWidth(200)).toBe(100);
  });
  it('uses 100 columns for piped output and keeps a floor for a tiny terminal', () => {
    expect(helpWidth(undefined)).toBe(100);
    expect(helpWidth(0)).toBe(100);
    expect(helpWidth(10)).toBe(40);
  });
});

describe('exitCodeFor', () => {
  it('gives each user-facing failure its own code and anything else 1', () => {
    expect(exitCodeFor(new ZyncError('BAD_ARGUMENT', 'x'))).toBe(2);
    expect(exitCodeFor(new ZyncError('IN_USE', 'x'))).toBe(8);
    expect(exitCodeFor(new ZyncError('QUIT', 'x'))).toBe(9);
    expect(exitCodeFor(new ZyncError('LEFT_OUT', 'x'))).toBe(11);
    expect(exitCodeFor(new ZyncError('NOT_FOUND', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });

  it("gives every status README's exit-code table documents, and no other", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = readme.split('## Exit codes')[1]!.split('\n## ')[0]!;
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    const given = new Set([0, 1, ...ERROR_CODES.map((code) => exitCodeFor(new ZyncError(code, 'x')))]);
    expect(documented).toEqual([...given].sort((a, b) => a - b));
  });
});

describe('failAndExit', () => {
  it('prints control characters a peer put in the message (a path) as escapes', () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    try {
      expect(() => failAndExit('zync-apply', new ZyncError('FILE_CHANGED', "E's docs/a\u009b2K\u001b]8;;x\u0007.txt keeps changing"))).toThrow('exit 1');
    } finally {
      write.mockRestore();
      exit.mockRestore();
    }
    expect(written.join('')).toBe("zync-apply: E's docs/a\\x9b2K\\x1b]8;;x\\x07.txt keeps changing\n");
  });
});

describe('parseNumberOption', () => {
  const port = { min: 0, max: 65535, integer: true };
  const days = { min: 0 };
  it.each([
    { name: 'a whole number', text: '8000', rule: port, value: 8000 },
    { name: 'zero', text: '0', rule: port, value: 0 },
    { name: 'the upper bound', text: '65535', rule: port, value: 65535 },
    { name: 'a fraction where allowed', text: '0.5', rule: days, value: 0.5 },
    { name: 'a fraction without a leading digit', text: '.25', rule: days, value: 0.25 },
    { name: 'a trailing point', text: '3.', rule: days, value: 3 },
  ])('accepts $name', ({ text, rule, value }) => {
    expect(parseNumberOption('x', text, rule)).toBe(value);
  });

  it.each([
    { name: 'words', text: 'abc', rule: port, message: '--x must be a whole number from 0 to 65535, not "abc".' },
    { name: 'words where fractions are allowed', text: 'abc', rule: days, message: '--x must be a number of at least 0, not "abc".' },
    { name: 'nothing', text: '', rule: days, message: '--x must be a number of at least 0, not "".' },
    { name: 'a fraction where a whole number is needed', text: '1.5', rule: port, message: /not "1\.5"\.$/ },
    { name: 'above the range', text: '70000', rule: port, message: /not "70000"\.$/ },
    { name: 'below the range', text: '-1', rule: days, message: '--x must be a number of at least 0, not "-1".' },
    { name: 'hex', text: '0x10', rule: port, message: /not "0x10"/ },
    { name: 'an exponent', text: '1e3', rule: days, message: /not "1e3"/ },
    { name: 'spaces', text: ' 5', rule: days, message: /not " 5"/ },
    { name: 'Infinity', text: 'Infinity', rule: days, message: /not "Infinity"/ },
    { name: 'a number too large to hold', text: '9'.repeat(400), rule: days, message: /must be a number of at least 0/ },
  ])('refuses $name, quoting the input', ({ text, rule, message }) => {
    let thrown: unknown = null;
    try {
      parseNumberOption('x', text, rule);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'BAD_ARGUMENT' });
    if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(message);
  });
});

describe('refuseRepeatedOptions', () => {
  it('refuses an option given twice, naming it and both values', () => {
    expect(() => refuseRepeatedOptions({ _: [], $0: 'x', db: ['a.db', 'b.db'] }, [])).toThrow(
      new ZyncError('BAD_ARGUMENT', 'The option --db was given more than once ("a.db", "b.db"); give it once.'),
    );
  });

  it('reports a dashed option by its dashed name, not its camelCase copy', () => {
    expect(() => refuseRepeatedOptions({ logLevel: ['info', 'debug'], 'log-level': ['info', 'debug'] }, [])).toThrow(/^The option --log-level was given/);
  });

  it('lets options that take several values, and single values, through', () => {
    expect(refuseRepeatedOptions({ _: ['list'], dirs: ['a:/x', 'b:/y'], db: 'sync.db', once: true }, ['dirs'])).toBe(true);
  });
});

describe('usageError', () => {
  const client = { program: 'zync-client', args: ['--server', 'ws://x', '--frob', '-q', '--token', 't', '--token-file', 'f'] };
  const apply = { program: 'zync-apply', args: ['--db', 'x', 'frob'], commands: ['list', 'show', 'apply', 'discard'] };
  it.each([
    { name: 'an option without its value', message: 'Not enough arguments following: db', context: client, sentence: '--db needs a value.' },
    {
      name: 'two options that exclude each other',
      message: 'Arguments token and token-file are mutually exclusive',
      context: client,
      sentence: '--token and --token-file cannot be given together; give only one of them.',
    },
    {
      name: 'a value outside the choices',
      message: 'Invalid values:\n  Argument: log-level, Given: "loud", Choices: "trace", "debug", "info", "warn", "error", "silent"',
      context: client,
      sentence: '--log-level must be trace, debug, info, warn, error or silent, not "loud".',
    },
    { name: 'a mistyped option', message: 'Unknown argument: frob', context: client, sentence: 'Unknown option --frob; see zync-client --help for the options.' },
    { name: 'mistyped options, short ones with one dash', message: 'Unknown arguments: frob, q', context: client, sentence: 'Unknown options --frob and -q; see zync-client --help for the options.' },
    { name: 'an unknown command', message: 'Unknown argument: frob', context: apply, sentence: 'Unknown command "frob"; use list, show, apply or discard.' },
    {
      name: 'a mistyped command before options the meant one takes',
      message: 'Unknown arguments: all, lst',
      context: { ...apply, args: ['lst', '--all'] },
      sentence: 'Unknown command "lst"; use list, show, apply or discard.',
    },
    {
      name: 'a word no command takes',
      message: 'Unknown argument: extra',
      context: { ...apply, args: ['list', 'extra'] },
      sentence: 'Unexpected argument "extra"; see zync-apply --help for the usage.',
    },
    { name: 'anything else, as one sentence', message: 'Something\n  odd:', context: client, sentence: 'Something odd.' },
  ])('says $name as one sentence with what to do', ({ message, context, sentence }) => {
    expect(usageError(message, context)).toEqual(new ZyncError('BAD_ARGUMENT', sentence));
  });
});
