import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, versionLine, ZYNC_VERSION } from './cli.js';
import { ZyncError } from './protocol/errors.js';
import { PROTOCOL_VERSION } from './protocol/version.js';

describe('ZYNC_VERSION', () => {
  it('is the version every package of the workspace declares', () => {
    for (const pkg of ['common', 'daemon', 'client', 'apply']) {
      const manifest = JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string };
      expect(manifest.version, `packages/${pkg}/package.json`).toBe(ZYNC_VERSION);
    }
  });

  it('is printed with the protocol version', () => {
    expect(versionLine()).toBe(`${ZYNC_VERSION} (protocol ${PROTOCOL_VERSION})`);
  });
});

describe('exitCodeFor', () => {
  it('gives each user-facing failure its own code and anything else 1', () => {
    expect(exitCodeFor(new ZyncError('BAD_ARGUMENT', 'x'))).toBe(2);
    expect(exitCodeFor(new ZyncError('IN_USE', 'x'))).toBe(8);
    expect(exitCodeFor(new ZyncError('NOT_FOUND', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });
});
