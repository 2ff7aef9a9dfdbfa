// A daemon newer than this client may answer with an error code this version does not know.
// The client reads it as BAD_MESSAGE, keeping the daemon's sentence. It is not a fault of R's
// setup that R must fix: the continuous client says it and retries, as for any other failed
// pass, instead of giving up for good (which would leave R behind once E is quiet). So does the
// daemon's own INTERNAL answer to one request: what failed there may pass at the next try.
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, tempDir, treeDigest, waitFor, type SpawnedCli } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const TOKEN = 'fake-token';
let fake: FakeDaemon | null = null;
let client: SpawnedCli | null = null;
afterEach(async () => {
  await client?.stop();
  client = null;
  await fake?.close();
  fake = null;
});

describe('an error answer a retry may fix', () => {
  it.each([
    ['a code from a newer daemon', 'SOMETHING_NEWER'],
    ["the daemon's own failure (INTERNAL: a busy database, a passing I/O error)", 'INTERNAL'],
  ])('%s is reported with its sentence, and the continuous client retries and converges', async (_what, code) => {
    const base = tempDir('zync-newer-');
    const root = path.join(base, 'root');
    await mkdir(root);
    const content = Buffer.from('from E\n');
    fake = await startFakeDaemon({
      token: TOKEN,
      dirs: ['docs'],
      changes: [fileEntry(1, 'docs', 'a.txt', content)],
      files: { 'docs/a.txt': content },
      failFirst: { operation: 'GET_CHANGES', code, error: 'The daemon is busy with something this client does not know.' },
    });
    client = spawnCli('client', ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--interval', '600']);
    const running = client;
    await waitFor(
      async () => {
        if (running.proc.exitCode !== null) throw new Error(`the client exited (${running.proc.exitCode}): ${running.stderr()}`);
        return Object.keys(await treeDigest(root)).includes('a.txt');
      },
      { timeoutMs: 30_000, what: 'a.txt on R' },
    );
    expect(client.stderr()).toContain('The daemon is busy with something this client does not know.');
    expect(client.proc.exitCode).toBeNull();
  });
});
