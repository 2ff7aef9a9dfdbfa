// A full resync ends even where R replaced one of E's directories with a symbolic link: the
// entries below it are refused for good (nothing is written through a link), and their records
// must not keep the resync's sweep from ever finishing.
import { mkdir, rename, symlink } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir, treeDigest } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const TOKEN = 'fake-token';
let fake: FakeDaemon | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe('a full resync', () => {
  it('finishes when R made a received directory a symbolic link', async () => {
    const base = tempDir('zync-resync-link-');
    const root = path.join(base, 'root');
    const db = path.join(base, 'client.db');
    await mkdir(root);
    const inside = Buffer.from('in d\n');
    const top = Buffer.from('top\n');
    const log = {
      token: TOKEN,
      dirs: ['docs'],
      changes: [fileEntry(1, 'docs', 'd/f.txt', inside), fileEntry(2, 'docs', 'top.txt', top)],
      files: { 'docs/d/f.txt': inside, 'docs/top.txt': top },
    };
    const once = (url: string) => runCli('client', ['--server', url, '--token', TOKEN, '--db', db, '--dirs', `docs:${root}`, '--once'], { timeoutMs: 30_000 });

    fake = await startFakeDaemon({ ...log, logId: 'first-log' });
    const first = await once(fake.url);
    expect(first.code, first.stderr).toBe(0);
    await fake.close();

    // R moves the directory aside and puts a link in its place.
    await rename(path.join(root, 'd'), path.join(base, 'd-moved'));
    await symlink(path.join(base, 'd-moved'), path.join(root, 'd'));

    // The daemon's database was recreated: a new log id, so R resyncs against the same tree.
    fake = await startFakeDaemon({ ...log, logId: 'second-log' });
    const second = await once(fake.url);
    expect(second.stderr).toMatch(/full resync/);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/up to date/);
    expect(Object.keys(await treeDigest(root)).sort()).toContain('top.txt');
  });
});
