import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { exitCodeFor, failAndExit, versionLine, ZYNC_VERSION } from './cli.js';
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

describe('failAndExit', () => {
  it('prints control characters a peer put in the message (a path) as escapes', () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    try {
      expect(() => failAndExit('zync-apply', new ZyncError('FILE_CHANGED', "E's docs/a\u009b2K\u001b]8;;x\u0007.txt keeps changing"))).toThrow('exit 1');
    } finally {
      write.mockRestore();
      exit.mockRestore();
    }
    expect(written.join('')).toBe("zync-apply: E's docs/a\\x9b2K\\x1b]8;;x\\x07.txt keeps changing\n");
  });
});
