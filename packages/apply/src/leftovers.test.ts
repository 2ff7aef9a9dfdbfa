// Which temp files a killed apply left are recognised as its own, and that only those go.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempPathFor } from '@zync/common';
import { isTempNameFor, removeTempFilesBelow, removeTempFilesFor } from './leftovers.js';

describe('isTempNameFor', () => {
  const target = '/e/docs/report.txt';
  it.each<[string, string, boolean]>([
    ['what tempPathFor makes', nodePath.basename(tempPathFor(target)), true],
    ['another file’s temp', nodePath.basename(tempPathFor('/e/docs/report.txt.bak')), false],
    ['the target itself', 'report.txt', false],
    ['a suffix that is not 12 hex digits', '.zync-tmp-report.txt-xyz', false],
    ['a longer suffix', '.zync-tmp-report.txt-0123456789abc', false],
  ])('%s', (_name, name, expected) => {
    expect(isTempNameFor(name, target)).toBe(expected);
  });

  it.each([
    ['ASCII', `/e/${'x'.repeat(150)}.txt`],
    ['3-byte characters (a 255-byte name)', `/e/${'日'.repeat(85)}`],
  ])('matches a long %s name cut to 100 bytes as tempPathFor does', (_why, long) => {
    expect(isTempNameFor(nodePath.basename(tempPathFor(long)), long)).toBe(true);
  });
});

describe('removing leftovers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(nodePath.join(tmpdir(), 'zync-leftovers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes only the temp files of the given targets', async () => {
    const target = nodePath.join(dir, 'a.txt');
    const mine = tempPathFor(target);
    const theirs = tempPathFor(nodePath.join(dir, 'b.txt'));
    for (const f of [mine, theirs, target]) await writeFile(f, 'x');
    expect(await removeTempFilesFor([target, nodePath.join(dir, 'missing/c.txt')])).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['a.txt', nodePath.basename(theirs)].sort());
  });

  it('removes every temp file below a directory, and nothing else', async () => {
    await mkdir(nodePath.join(dir, 'docs/sub'), { recursive: true });
    await writeFile(tempPathFor(nodePath.join(dir, 'docs/sub/big.bin')), 'half');
    await writeFile(nodePath.join(dir, 'docs/sub/big.bin'), 'whole');
    expect(await removeTempFilesBelow(dir)).toBe(1);
    expect(await readdir(nodePath.join(dir, 'docs/sub'))).toEqual(['big.bin']);
    expect(await removeTempFilesBelow(nodePath.join(dir, 'absent'))).toBe(0);
  });
});
