// A malicious or buggy daemon cannot make the client write outside its local roots, nor deliver
// content under a wrong checksum; an incompatible daemon gets one clear sentence.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exists, runCli, tempDir, treeDigest } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const TOKEN = 'fake-token';
let fake: FakeDaemon | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const once = (url: string, root: string, db: string) =>
  runCli('client', ['--server', url, '--token', TOKEN, '--db', db, '--dirs', `docs:${root}`, '--once']);

describe('a hostile daemon', () => {
  it('cannot make the client write outside its root', async () => {
    const base = tempDir('zync-hostile-');
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    await mkdir(outside, { recursive: true });
    await mkdir(root, { recursive: true });
    // A link R made inside its root that points outside it.
    await symlink(outside, path.join(root, 'link'));
    const evil = Buffer.from('pwned\n');
    const good = Buffer.from('fine\n');
    const paths = ['../outside/escape.txt', '/etc/zync-evil.txt', 'a/../../outside/x.txt', 'link/through-link.txt', 'a\\..\\b.txt', 'ok.txt'];
    fake = await startFakeDaemon({
      token: TOKEN,
      dirs: ['docs', 'other'],
      changes: [
        ...paths.map((p, i) => fileEntry(i + 1, 'docs', p, p === 'ok.txt' ? good : evil)),
        fileEntry(paths.length + 1, 'secret', 'x.txt', evil),
      ],
      files: Object.fromEntries([...paths.map((p) => [`docs/${p}`, p === 'ok.txt' ? good : evil]), ['secret/x.txt', evil]]),
    });
    const result = await once(fake.url, root, path.join(base, 'client.db'));
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(await treeDigest(outside))).toEqual([]);
    expect(await exists('/etc/zync-evil.txt')).toBe(false);
    expect(Object.keys(await treeDigest(root)).sort()).toEqual(['ok.txt']);
    expect(result.stderr).toMatch(/Refused path/);
    expect(result.stderr).toMatch(/"secret", which it does not serve/);
    // Refused entries are reported and acknowledged, not retried forever.
    expect(fake.acks.at(-1)).toBe(paths.length + 1);
  });

  it('cannot deliver content that does not match its checksum', async () => {
    const base = tempDir('zync-hostile-');
    const root = path.join(base, 'root');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, 'victim.txt'), 'R has this\n');
    const content = Buffer.from('tampered\n');
    const claimed = 'f'.repeat(64);
    fake = await startFakeDaemon({
      token: TOKEN,
      dirs: ['docs'],
      changes: [fileEntry(1, 'docs', 'fresh.txt', content, claimed)],
      files: { 'docs/fresh.txt': content },
      lies: { 'docs/fresh.txt': claimed },
    });
    const result = await once(fake.url, root, path.join(base, 'client.db'));
    expect(result.code).not.toBe(0);
    expect(await exists(path.join(root, 'fresh.txt'))).toBe(false);
    expect(Object.keys(await treeDigest(root, { includeConflictCopies: true }))).toEqual(['victim.txt']);
    // Nothing was acknowledged past the entry that failed.
    expect(fake.acks.every((a) => a < 1)).toBe(true);
  });

  it('cannot make the client hold more than a GET_FILES answer may carry', async () => {
    const base = tempDir('zync-hostile-');
    const root = path.join(base, 'root');
    await mkdir(root, { recursive: true });
    const content = Buffer.from('small\n');
    // A small file in the log, announced in the GET_FILES answer as a terabyte.
    fake = await startFakeDaemon({
      token: TOKEN,
      dirs: ['docs'],
      changes: [fileEntry(1, 'docs', 'small.txt', content)],
      files: { 'docs/small.txt': content },
      batchSizes: { 'docs/small.txt': 2 ** 40 },
    });
    const result = await once(fake.url, root, path.join(base, 'client.db'));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/malformed GET_FILES answer/);
    expect(result.stderr).not.toMatch(/RangeError|    at /);
    expect(Object.keys(await treeDigest(root, { includeConflictCopies: true }))).toEqual([]);
    expect(fake.acks.every((a) => a < 1)).toBe(true);
  });

  it('speaking another protocol version gets one clear sentence and a non-zero exit', async () => {
    const base = tempDir('zync-hostile-');
    fake = await startFakeDaemon({ token: TOKEN, dirs: ['docs'], changes: [], files: {}, protocol: 99 });
    const result = await once(fake.url, path.join(base, 'root'), path.join(base, 'client.db'));
    expect(result.code).toBe(5);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^zync-client: The daemon speaks protocol 99; this client speaks 2\./);
  });
});
