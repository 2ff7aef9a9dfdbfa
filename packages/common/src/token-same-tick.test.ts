// A token file rewritten in place with a token of the same length, within one tick of the file
// system's clock: its stat (size, inode, times) reads exactly as before. Kernels before Linux 6.13
// (no multigrain timestamps) stamp such a write with the same coarse time, so the clock is frozen
// here by making statSync report the times it first saw for the file. TokenFile must still take
// the new token: it compares the file's bytes, not only its stat.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const frozen = new Map<string, { mtimeNs: bigint; ctimeNs: bigint; mtimeMs: number; ctimeMs: number }>();

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const statSync = ((file: string, options?: { bigint?: boolean }) => {
    const stats = fs.statSync(file, options);
    if (!stats || !(options?.bigint ?? false)) return stats;
    const big = stats as import('node:fs').BigIntStats;
    const first = frozen.get(file) ?? { mtimeNs: big.mtimeNs, ctimeNs: big.ctimeNs, mtimeMs: Number(big.mtimeMs), ctimeMs: Number(big.ctimeMs) };
    frozen.set(file, first);
    return Object.assign(Object.create(Object.getPrototypeOf(big) as object) as object, big, { mtimeNs: first.mtimeNs, ctimeNs: first.ctimeNs });
  }) as typeof fs.statSync;
  return { ...fs, default: { ...fs, statSync }, statSync };
});

const { TokenFile } = await import('./token.js');

const dir = mkdtempSync(path.join(tmpdir(), 'zync-token-tick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TokenFile, a same-length rewrite in place within one clock tick', () => {
  it('takes the new token', async () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'old-token-aaaa\n', { mode: 0o600 });
    const source = await TokenFile.open(file);
    const changed = vi.fn();
    writeFileSync(file, 'new-token-bbbb\n'); // same length, same inode: only the bytes differ
    expect(source.current({ changed })).toBe('new-token-bbbb');
    expect(changed).toHaveBeenCalledOnce();
    expect(source.current({ changed })).toBe('new-token-bbbb');
    expect(changed).toHaveBeenCalledOnce();
  });
});
