// openSocketName on real directories: a long path is reached through its directory, the same file.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SOCKET_PATH_BYTES, openSocketName } from './socket-path.js';

const root = mkdtempSync(path.join(tmpdir(), 'zync-socket-path-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openSocketName', () => {
  it('gives a path that fits as it is', () => {
    const short = path.join(root, 'sync_client.db.sock');
    expect(openSocketName(short)?.name).toBe(short);
  });

  it('names a longer path through its directory: the same file, by a name that fits', () => {
    const dir = path.join(realpathSync(root), 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(dir, { recursive: true });
    const long = path.join(dir, 'sync_client.db.sock');
    writeFileSync(long, 'the same file');
    const opened = openSocketName(long)!;
    try {
      expect(Buffer.byteLength(opened.name)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
      expect(readFileSync(opened.name, 'utf8')).toBe('the same file');
    } finally {
      opened.close();
    }
  });

  it('has no name for a long path whose directory is not there', () => {
    expect(openSocketName(path.join(root, 'z'.repeat(120), 'sync_client.db.sock'))).toBeNull();
  });
});
