import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '@zync/common';
import { cannotOpen, SmallFileReader } from './read-small-file.js';

describe('cannotOpen', () => {
  it.each([
    // Not permitted: R skips the entry; the watcher logs the file again once it can be read.
    ['EACCES', 'NOT_FOUND'],
    ['EPERM', 'NOT_FOUND'],
    // Passing trouble: R must retry, not skip a file it would then never get.
    ['EMFILE', 'FILE_CHANGED'],
    ['ENFILE', 'FILE_CHANGED'],
    ['EIO', 'FILE_CHANGED'],
    [undefined, 'FILE_CHANGED'],
  ])('%s -> %s', (code, expected) => {
    const err = cannotOpen('docs', 'a.txt', code);
    expect(err.code).toBe(expected);
    expect(err.message).toContain('docs/a.txt');
  });
});

describe('SmallFileReader on a file that grew since it was logged', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-small-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const logged = Buffer.from('line 1\nline 2\n');
  const record = { size: logged.length, checksum: sha256(logged) };
  const read = () => {
    const into = Buffer.alloc(record.size + 4);
    new SmallFileReader(root, 'docs').readInto('app.log', record, into, 4);
    return into.subarray(4);
  };

  it.each([
    { name: 'only appended to: the logged prefix', content: Buffer.concat([logged, Buffer.from('line 3\n')]), expected: logged },
    { name: 'as logged: the file', content: logged, expected: logged },
  ])('$name', ({ content, expected }) => {
    writeFileSync(path.join(root, 'app.log'), content);
    expect(read()).toEqual(expected);
  });

  it.each([
    { name: 'rewritten, and longer: FILE_CHANGED, nothing delivered', content: Buffer.from('other 1\nother 2\nother 3\n') },
    { name: 'shorter than logged: FILE_CHANGED', content: Buffer.from('line 1\n') },
  ])('$name', ({ content }) => {
    writeFileSync(path.join(root, 'app.log'), content);
    expect(read).toThrow(expect.objectContaining({ code: 'FILE_CHANGED' }));
  });
});
