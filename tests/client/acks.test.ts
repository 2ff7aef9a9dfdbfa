// The client applies the next page of the log without waiting for the daemon to answer the
// acknowledgement of the previous one (through a tunnel that is a round trip per page), yet a
// pass still ends only once every acknowledgement is answered. A scripted daemon holds its ACK
// answers until the client asks for a file of the second page: a client that waited would hang.
// An acknowledgement E could not write down (its disk full: `recorded: false`) does not fail the
// pass; the next pass sends it again, once, so E's note catches up — a running client's, and the
// next --once run's (before, the latter never did: the need was kept in memory only).
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, treeDigest, waitFor } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const TOKEN = 'fake-token';
let fake: FakeDaemon | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe('acknowledgements', () => {
  it('do not hold up the next page, and are all answered before the pass ends', async () => {
    const base = tempDir('zync-acks-');
    const root = path.join(base, 'root');
    await mkdir(root);
    const names = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];
    const content = (name: string) => Buffer.from(`content of ${name}\n`);
    fake = await startFakeDaemon({
      token: TOKEN,
      dirs: ['docs'],
      changes: names.map((name, i) => fileEntry(i + 1, 'docs', name, content(name))),
      files: Object.fromEntries(names.map((name) => [`docs/${name}`, content(name)])),
      pageSize: 2,
      // A fetch of c.txt or d.txt: the second page is being applied.
      holdAcksUntil: (request) => request.operation.startsWith('GET_FILE') && /[cd]\.txt/.test(JSON.stringify(request)),
    });
    const result = await runCli('client', ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--once'], {
      timeoutMs: 20_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(await treeDigest(root)).sort()).toEqual(names);
    expect(fake.acks).toEqual([2, 4]);
  });

  it('one E could not record is sent again at the next pass, and no more once recorded', async () => {
    const base = tempDir('zync-acks-');
    const root = path.join(base, 'root');
    await mkdir(root);
    const content = Buffer.from('a\n');
    fake = await startFakeDaemon({ token: TOKEN, dirs: ['docs'], changes: [fileEntry(1, 'docs', 'a.txt', content)], files: { 'docs/a.txt': content }, unrecordedAcks: 1 });
    const client = spawnCli('client', ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--interval', '0.2']);
    try {
      const passes = () => fake!.requests.filter((r) => r.operation === 'GET_CHANGES').length;
      await waitFor(() => passes() >= 5, { what: 'five passes', timeoutMs: 20_000 });
      expect(client.proc.exitCode, client.stderr()).toBeNull();
      expect(fake.acks).toEqual([1, 1]);
    } finally {
      await client.stop();
    }
  });

  it('one E could not record is sent again by the next --once run, and no more once recorded', async () => {
    const base = tempDir('zync-acks-');
    const root = path.join(base, 'root');
    await mkdir(root);
    const content = Buffer.from('a\n');
    fake = await startFakeDaemon({ token: TOKEN, dirs: ['docs'], changes: [fileEntry(1, 'docs', 'a.txt', content)], files: { 'docs/a.txt': content }, unrecordedAcks: 1 });
    const args = ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--once'];
    for (let run = 0; run < 3; run++) {
      const result = await runCli('client', args, { timeoutMs: 30_000 });
      expect(result.code, result.stderr).toBe(0);
    }
    expect(fake.acks).toEqual([1, 1]);
  });
});
