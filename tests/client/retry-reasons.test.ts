// A file E rewrites while R downloads it (a build on E) is answered FILE_CHANGED, and the pull
// retries it. Before, each retry said "retrying N change(s) that could not be applied" at info,
// with no reason; a file that grew past what one GET_FILES answer carries was warned of as
// "larger than GET_FILES serves; use GET_FILE", which no user can act on. Now a retry for E's
// rewrites alone is said at debug, every retry line says why, and a pass that still fails says
// the reason in its line at info.
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/index.js';
import { fileEntry, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const TOKEN = 'fake-token';
let fake: FakeDaemon | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const content = Buffer.from('object code\n');
const REWRITTEN = { code: 'FILE_CHANGED', error: 'docs/a.o changed while it was being read (mtime); retry later.' };
const lines = (stderr: string, pattern: RegExp) => stderr.split('\n').filter((line) => pattern.test(line));

async function pull(fileErrors: Record<string, { code: string; error: string; times?: number }>) {
  const base = tempDir('zync-retry-');
  const root = path.join(base, 'root');
  await mkdir(root, { recursive: true });
  fake = await startFakeDaemon({ token: TOKEN, dirs: ['docs'], changes: [fileEntry(1, 'docs', 'a.o', content)], files: { 'docs/a.o': content }, fileErrors });
  const args = ['--server', fake.url, '--token', TOKEN, '--db', path.join(base, 'client.db'), '--dirs', `docs:${root}`, '--once', '--log-level', 'debug'];
  return { root, result: await runCli('client', args) };
}

describe('changes retried within a pass', () => {
  it("says a retry for E's rewrites at debug, with the reason", async () => {
    const { root, result } = await pull({ 'docs/a.o': { ...REWRITTEN, times: 2 } });
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(root, 'a.o'))).toEqual(content);
    expect(lines(result.stderr, /INFO.*retrying/), result.stderr).toEqual([]);
    expect(lines(result.stderr, /DEBUG.*retrying 1 change\(s\) that could not be applied \(changed on E while being downloaded\)/), result.stderr).toHaveLength(2);
  });

  it('says a streamed file that did not match E\'s checksum (E rewrote it meanwhile) at debug, with the reason', async () => {
    const { root, result } = await pull({ 'docs/a.o': { code: 'CHECKSUM_MISMATCH', error: "The daemon's trailer for docs/a.o does not match its header.", times: 1 } });
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(root, 'a.o'))).toEqual(content);
    expect(lines(result.stderr, /WARN|INFO.*retrying/), result.stderr).toEqual([]);
    expect(result.stderr).toMatch(/DEBUG.*retrying 1 change\(s\) that could not be applied \(arrived not matching E's checksum\)/);
  });

  it('says the reason at info when the change is still not applied at the end of the pass', async () => {
    const { result } = await pull({ 'docs/a.o': REWRITTEN });
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(/INFO.*resync: .*1 not yet applied \(changed on E while being downloaded\)/);
  });

  it('takes a file grown past what GET_FILES serves for a change of E\'s, not a fault to warn of', async () => {
    const { root, result } = await pull({ 'docs/a.o': { code: 'TOO_LARGE', error: 'docs/a.o is larger than GET_FILES serves; use GET_FILE.', times: 1 } });
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(root, 'a.o'))).toEqual(content);
    expect(lines(result.stderr, /WARN/), result.stderr).toEqual([]);
    expect(result.stderr).toMatch(/DEBUG.*docs\/a\.o changed on E under its download, retried with E's newer state: docs\/a\.o grew on E since it was logged/);
  });
});
