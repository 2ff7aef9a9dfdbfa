// The holding area on real temp directories: held files are dropped once older than the age
// limit, what is not a directory in its place is never written through, and emptying removes it.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '@zync/common';
import { HoldingArea } from './holding-area.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
function makeRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'zync-holding-'));
  roots.push(root);
  return root;
}
const limits = { maxAgeMs: 60_000, maxBytes: 1024 ** 2, maxFiles: 100 };

async function holdText(area: HoldingArea, root: string, name: string, text: string): Promise<string | null> {
  await writeFile(path.join(root, name), text);
  return area.hold('docs', path.join(root, name), sha256(text), Buffer.byteLength(text));
}

describe('HoldingArea', () => {
  it('holds a file under its checksum, and drops it at the first purge past the age limit', async () => {
    const root = makeRoot();
    const area = new HoldingArea([{ name: 'docs', root }], limits);
    const held = await holdText(area, root, 'a.txt', 'content a\n');
    expect(held).toBe(path.join(root, '.zync-tmp-deleted', sha256('content a\n')));
    expect(await readFile(held!, 'utf8')).toBe('content a\n');
    expect(area.contents()).toEqual(new Map([['docs', new Set([sha256('content a\n')])]]));
    expect(await area.purge(Date.now())).toBe(0);
    expect(await area.purge(Date.now() + limits.maxAgeMs + 5_000)).toBe(1);
    expect(await readdir(path.join(root, '.zync-tmp-deleted'))).toEqual([]);
  });

  it('counts a file held over one of the same content once (a checkout back and forth)', async () => {
    const root = makeRoot();
    const area = new HoldingArea([{ name: 'docs', root }], { ...limits, maxFiles: 1 });
    expect(await holdText(area, root, 'a.txt', 'same\n')).not.toBeNull();
    expect(await holdText(area, root, 'b.txt', 'same\n')).not.toBeNull();
    expect(await holdText(area, root, 'c.txt', 'other\n')).toBeNull();
    expect(await readdir(path.join(root, '.zync-tmp-deleted'))).toEqual([sha256('same\n')]);
  });

  it('holds nothing through a link or a file in the area\'s place: the caller unlinks as before', async () => {
    const root = makeRoot();
    const elsewhere = makeRoot();
    await symlink(elsewhere, path.join(root, '.zync-tmp-deleted'));
    const area = new HoldingArea([{ name: 'docs', root }], limits);
    expect(await holdText(area, root, 'a.txt', 'a\n')).toBeNull();
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readdir(root)).toEqual(['.zync-tmp-deleted', 'a.txt']);
  });

  it('empties every root\'s area, and removes it', async () => {
    const root = makeRoot();
    const area = new HoldingArea([{ name: 'docs', root }], limits);
    await holdText(area, root, 'a.txt', 'a\n');
    await mkdir(path.join(root, '.zync-tmp-deleted', 'stray-dir'));
    expect(await area.empty()).toBe(1);
    expect(await readdir(root)).toEqual([]);
  });
});
