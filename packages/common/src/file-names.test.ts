import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeNameBytes, listNonUtf8Names, mayBeNonUtf8 } from './file-names.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('escapeNameBytes', () => {
  it.each([
    ['ASCII stays as it is', bytes('report.txt'), 'report.txt'],
    ['UTF-8 stays as it is', bytes('grüße-日本.txt'), 'grüße-日本.txt'],
    ['a Latin-1 byte', bytes('caf', [0xe9], '.txt'), 'caf\\xe9.txt'],
    ['a lone continuation byte', bytes('a', [0x80], 'b'), 'a\\x80b'],
    ['a sequence cut short before ASCII', bytes([0xe6, 0x97], 'x'), '\\xe6\\x97x'],
    ['a sequence cut short at the end', bytes('x', [0xf0, 0x9f, 0x8e]), 'x\\xf0\\x9f\\x8e'],
    ['an overlong encoding of "/"', bytes([0xc0, 0xaf]), '\\xc0\\xaf'],
    ['an encoded surrogate', bytes([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'],
    ['a real U+FFFD among bad bytes', bytes('\uFFFD', [0xff]), '\uFFFD\\xff'],
    ['control characters, as inertLine shows them', bytes('a\u001b[2K\nb', [0xff]), 'a\\x1b[2K\\x0ab\\xff'],
    ['a C1 control encoded in UTF-8', bytes('a\u009bb'), 'a\\x9bb'],
  ])('%s', (_name, input, expected) => {
    expect(escapeNameBytes(input)).toBe(expected);
  });
});

describe('listNonUtf8Names', () => {
  const dir = mkdtempSync(nodePath.join(tmpdir(), 'zync-names-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the names that are not UTF-8 as bytes, and the real names holding U+FFFD', () => {
    const latin1 = bytes('caf', [0xe9], '.txt');
    const badDir = bytes('d', [0xff]);
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), latin1]), 'x');
    mkdirSync(Buffer.concat([Buffer.from(`${dir}/`), badDir]));
    writeFileSync(nodePath.join(dir, 'caf\uFFFD.txt'), 'a real U+FFFD');
    writeFileSync(nodePath.join(dir, 'plain.txt'), 'x');
    const listing = listNonUtf8Names(dir)!;
    expect(listing.nonUtf8.map((b) => b.toString('hex')).sort()).toEqual([latin1.toString('hex'), badDir.toString('hex')].sort());
    expect([...listing.literal]).toEqual(['caf\uFFFD.txt']);
  });

  it('is null for a directory that cannot be listed', () => {
    expect(listNonUtf8Names(nodePath.join(dir, 'missing'))).toBeNull();
  });

  it('mayBeNonUtf8 is true only for names Node decoded with U+FFFD', () => {
    expect(mayBeNonUtf8('caf\uFFFD.txt')).toBe(true);
    expect(mayBeNonUtf8('café.txt')).toBe(false);
  });
});
