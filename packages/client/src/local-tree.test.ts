// withChecksum hashes the file inspect saw; what replaced it since is what the plan must see.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '@zync/common';
import { lstatState, withChecksum } from './local-tree.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zync-local-tree-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('withChecksum', () => {
  it('adds the checksum of the file inspect saw', async () => {
    const abs = path.join(dir, 'a.txt');
    writeFileSync(abs, 'hello\n');
    expect(await withChecksum(abs, lstatState(abs))).toMatchObject({ kind: 'file', checksum: sha256('hello\n') });
  });

  it('gives what replaced the file since (a FIFO, a directory) instead of waiting or failing', async () => {
    const fifo = path.join(dir, 'f');
    const sub = path.join(dir, 'd');
    writeFileSync(fifo, 'x');
    writeFileSync(sub, 'y');
    const seenFifo = lstatState(fifo);
    const seenSub = lstatState(sub);
    rmSync(fifo);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    rmSync(sub);
    mkdirSync(sub);
    expect(await withChecksum(fifo, seenFifo)).toEqual({ kind: 'other' });
    expect(await withChecksum(sub, seenSub)).toMatchObject({ kind: 'dir' });
  });
});
