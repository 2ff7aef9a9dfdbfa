import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBlock } from './current-file.js';

const root = mkdtempSync(nodePath.join(tmpdir(), 'zync-find-block-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(nodePath.join(root, 'd/e'), { recursive: true });
writeFileSync(nodePath.join(root, 'd/e/f'), 'x');
writeFileSync(nodePath.join(root, 'file'), 'x');
symlinkSync(tmpdir(), nodePath.join(root, 'link'));
symlinkSync('file', nodePath.join(root, 'd/flink'));
execFileSync('mkfifo', [nodePath.join(root, 'fifo')]);

describe('findBlock (what in E’s tree is in the way of a path)', () => {
  it.each<[string, string, { path: string; kind: string } | null]>([
    ['a file below directories', 'd/e/f', null],
    ['a directory', 'd/e', null],
    ['nothing there yet', 'd/new/x', null],
    ['the file itself', 'file', null],
    ['a file where a directory is needed', 'file/x/y', { path: 'file', kind: 'file' }],
    ['a link above', 'link/x', { path: 'link', kind: 'link' }],
    ['a link at the path itself', 'd/flink', { path: 'd/flink', kind: 'link' }],
    ['a FIFO at the path itself', 'fifo', { path: 'fifo', kind: 'special' }],
  ])('%s', async (_d, rel, expected) => {
    expect(await findBlock(root, rel)).toEqual(expected);
  });
});
