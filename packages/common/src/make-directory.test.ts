import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFileInTheWay, makeDirectory, refuseUnmakeableDirectory } from './make-directory.js';

const base = mkdtempSync(path.join(tmpdir(), 'zync-mkdir-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
mkdirSync(path.join(base, 'dir'));
writeFileSync(path.join(base, 'file'), 'x');
const words = { what: 'the thing', advice: 'give another' };

describe('findFileInTheWay', () => {
  it.each([
    { name: 'an existing directory', rel: 'dir', file: null },
    { name: 'a missing path below a directory', rel: 'dir/a/b', file: null },
    { name: 'a file', rel: 'file', file: 'file' },
    { name: 'a path below a file', rel: 'file/a', file: 'file' },
    { name: 'a path further below a file', rel: 'file/a/b', file: 'file' },
  ])('finds $file in the way of $name', async ({ rel, file }) => {
    expect(await findFileInTheWay(path.join(base, rel))).toBe(file === null ? null : path.join(base, file));
  });
});

describe('refuseUnmakeableDirectory and makeDirectory', () => {
  it('refuses a path below a file in one sentence', async () => {
    await expect(refuseUnmakeableDirectory(path.join(base, 'file/a'), words)).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: `Cannot create the thing (${path.join(base, 'file')} is a file); give another.`,
    });
  });
  it('returns the first directory it made, and undefined when there was nothing to make', () => {
    expect(makeDirectory(path.join(base, 'new/deeper'), words)).toBe(path.join(base, 'new'));
    expect(existsSync(path.join(base, 'new/deeper'))).toBe(true);
    expect(makeDirectory(path.join(base, 'new/deeper'), words)).toBeUndefined();
  });
  it('makes a failure to make one sentence naming the reason', () => {
    expect(() => makeDirectory(path.join(base, 'file/a'), { what: 'the thing' })).toThrow('Cannot create the thing (ENOTDIR).');
  });
});
