import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { formatBytes, isBinary, renderDiff, type DiffSide } from './diff-view.js';

const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });
const side = (label: string, text: string | Buffer | null, over: Partial<DiffSide> = {}): DiffSide => {
  const content = text === null ? null : Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { label, present: true, checksum: 'f'.repeat(64), size: content?.length ?? 0, content, ...over };
};

describe('renderDiff', () => {
  it('shows a unified diff of E against upstream', () => {
    const out = renderDiff(side('E: docs/a.txt', 'one\ntwo\nthree\n'), side('upstream: docs/a.txt', 'one\nTWO\nthree\n'), plain);
    expect(out).toContain('--- E: docs/a.txt');
    expect(out).toContain('+++ upstream: docs/a.txt');
    expect(out).toContain('-two');
    expect(out).toContain('+TWO');
    expect(out).not.toContain('====');
  });

  it('colours added and removed lines on a terminal', () => {
    const out = renderDiff(side('E', 'a\n'), side('up', 'b\n'), coloured);
    expect(out).toContain('\u001b[32m+b');
    expect(out).toContain('\u001b[31m-a');
  });

  it('shows a deletion against an absent side', () => {
    const out = renderDiff(side('E', 'kept\n'), side('up', null, { present: false, checksum: null }), plain);
    expect(out).toContain('+++ /dev/null');
    expect(out).toContain('-kept');
  });

  it.each([
    ['a NUL byte', Buffer.from([104, 0, 105])],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x41])],
  ])('describes binary content (%s) with sizes and hashes instead of diffing', (_name, bytes) => {
    const out = renderDiff(side('E', bytes), side('up', 'text\n'), plain);
    expect(out).toMatch(/^Binary file; not shown as a diff\./);
    expect(out).toContain("E's current:  3 B, sha256 ffffffffffffffff…");
    expect(out).toContain('upstream (R): 5 B');
  });

  it('describes content too large to load', () => {
    const out = renderDiff(side('E', null, { size: 10 * 1024 * 1024 }), side('up', 'x'), plain);
    expect(out).toMatch(/^Too large to diff/);
    expect(out).toContain('10 MiB');
  });
});

describe('isBinary / formatBytes', () => {
  it.each([
    ['plain text', Buffer.from('hello\n'), false],
    ['UTF-8 text', Buffer.from('grüße\n'), false],
    ['NUL', Buffer.from([0]), true],
  ])('%s', (_name, buf, binary) => expect(isBinary(buf)).toBe(binary));
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [300 * 1024 * 1024, '300 MiB'],
  ])('%d bytes -> %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
