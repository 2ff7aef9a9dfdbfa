import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveToken } from './token.js';

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
