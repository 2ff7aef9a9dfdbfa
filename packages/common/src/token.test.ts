import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveToken, TokenFile } from './token.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zync-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'token');
writeFileSync(file, 'from-file\n', { mode: 0o600 });
const env = { ZYNC_TOKEN: 'from-env' };

describe('resolveToken', () => {
  it.each([
    { name: '--token first', options: { token: 'given', tokenFile: file, env }, expected: 'given' },
    { name: 'then --token-file', options: { tokenFile: file, env }, expected: 'from-file' },
    { name: 'then ZYNC_TOKEN', options: { env }, expected: 'from-env' },
    { name: 'none', options: { env: {} }, expected: undefined },
    { name: 'an empty ZYNC_TOKEN is none', options: { env: { ZYNC_TOKEN: '' } }, expected: undefined },
  ])('$name', async ({ options, expected }) => {
    expect(await resolveToken(options)).toBe(expected);
  });

  it.each(['', '  '])('refuses an empty --token (%j) instead of passing it over for ZYNC_TOKEN', async (token) => {
    await expect(resolveToken({ token, env })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'The token given with --token is empty: use --token, --token-file or ZYNC_TOKEN.',
    });
  });
});

describe('TokenFile', () => {
  const setUp = async (token: string) => {
    const own = path.join(mkdtempSync(path.join(dir, 'file-')), 'token');
    writeFileSync(own, `${token}\n`, { mode: 0o600 });
    const notes = { changed: vi.fn(), problem: vi.fn() };
    return { file: own, notes, source: await TokenFile.open(own) };
  };

  it('keeps the token while the file is unchanged, without saying anything', async () => {
    const { source, notes } = await setUp('first');
    expect(source.current(notes)).toBe('first');
    expect(source.current(notes)).toBe('first');
    expect(notes.changed).not.toHaveBeenCalled();
    expect(notes.problem).not.toHaveBeenCalled();
  });

  it('takes a rewritten token and says the file changed, never the token', async () => {
    const { file, source, notes } = await setUp('first');
    writeFileSync(file, 'second-token\n');
    expect(source.current(notes)).toBe('second-token');
    expect(notes.changed).toHaveBeenCalledOnce();
    expect(String(notes.changed.mock.calls[0]![0])).not.toContain('second-token');
  });

  it.each<[string, (file: string) => void, RegExp]>([
    ['readable by others', (file) => chmodSync(file, 0o644), /can be read by other users \(mode 644\); run chmod 600 .* stays in use/],
    ['emptied (a rewrite half done)', (file) => writeFileSync(file, ''), /is empty\. The token read from it before stays in use/],
    ['removed', (file) => rmSync(file), /does not exist or cannot be read\. The token read from it before stays in use/],
  ])('keeps the last good token when the file is %s, said once', async (_why, spoil, said) => {
    const { file, source, notes } = await setUp('first');
    spoil(file);
    expect(source.current(notes)).toBe('first');
    expect(source.current(notes)).toBe('first');
    expect(notes.problem).toHaveBeenCalledOnce();
    expect(String(notes.problem.mock.calls[0]![0])).toMatch(said);
  });

  it.each<[string, (file: string) => void]>([
    ['readable by others', (file) => chmodSync(file, 0o644)],
    ['emptied', (file) => writeFileSync(file, '')],
    ['removed', (file) => rmSync(file)],
  ])('says once that the file is fine again after it was briefly %s, with the same token', async (_why, spoil) => {
    const { file, source, notes } = await setUp('first');
    spoil(file);
    source.current(notes);
    writeFileSync(file, 'first\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(source.current(notes)).toBe('first');
    expect(source.current(notes)).toBe('first');
    expect(notes.changed).toHaveBeenCalledOnce();
    expect(String(notes.changed.mock.calls[0]![0])).toBe(`The token file ${file} is fine again; the token in use is the one it held before.`);
  });
});
