// --log-format json: what a log collector reads from the daemon's and the client's stderr is one
// JSON object per line, every one of them, with the fields of the text format's records.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type DaemonHandle } from '../helpers/index.js';
import { runClientOnce, stateDb } from './support.js';

function records(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON record: ${line}`);
      }
    });
}

describe('--log-format json', () => {
  let daemon: DaemonHandle | undefined;
  afterAll(async () => void (await daemon?.stop()));

  it('the daemon and the client log one JSON object per line', async () => {
    const e = tempDir('zync-e-');
    const r = tempDir('zync-r-');
    writeFileSync(path.join(e, 'a.txt'), 'hello\n');
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb(), args: ['--log-format', 'json'] });

    const result = await runClientOnce({ daemon, dirs: { docs: r }, db: path.join(tempDir(), 'client.db') }, ['--log-format', 'json']);
    expect(result.code).toBe(0);
    const client = records(result.stderr);
    expect(client).toContainEqual(expect.objectContaining({ level: 'info', name: 'zync-client', msg: expect.stringMatching(/^resync: 1 file\(s\) downloaded/) }));
    for (const record of client) expect(record.time).toMatch(/Z$/);

    const served = records(daemon.stderr());
    expect(served).toContainEqual(expect.objectContaining({ level: 'info', name: 'zync-daemon', msg: expect.stringMatching(/^listening on ws:\/\/127\.0\.0\.1:/) }));
    expect(JSON.stringify(served)).not.toContain(daemon.token);
  });
});
