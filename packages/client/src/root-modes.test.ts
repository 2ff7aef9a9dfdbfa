import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepsPermissionBits } from './root-modes.js';

describe('keepsPermissionBits', () => {
  it('a root on a file system with Unix modes keeps them, and is left as it was', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'zync-modes-'));
    expect(await keepsPermissionBits(root)).toBe(true);
    expect(readdirSync(root)).toEqual([]);
  });

  it('a root where nothing can be tried (missing) counts as keeping them, as every root did', async () => {
    expect(await keepsPermissionBits(path.join(tmpdir(), 'zync-no-such-root', 'x'))).toBe(true);
  });
});
