// A large log on E appended to without pause (a line every 50 ms), while a continuous client
// runs. Reading it takes longer than the pause between appends, so no read ever sees it hold
// still. What a user expects: R gets a recent version of it while the appends go on (a prefix
// of E's file, byte for byte, never a torn or made-up one), E's daemon does not spend its CPU
// re-reading the file over and over, the daemon says once which file keeps changing, and R ends
// equal to E once the appends stop.
import { spawn } from 'node:child_process';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, stateDb } from '../client/support.js';

const INITIAL_BYTES = 64 * 1024 * 1024;
const APPEND_MS = 50;
/** CPU the daemon may use over the window, as a share of one core (paced: about 4%; looked at on every event: about 20%, and more the bigger the file). */
const CPU_SHARE_BOUND = 0.12;
const WINDOW_MS = 15_000;

/** CPU time (user + system) of a process so far, in seconds. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
};

/** Appends a numbered line to `file` every APPEND_MS until its stdin closes; its own process, so nothing here stalls it. */
const WRITER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'a');
let n = 0;
const timer = setInterval(() => fs.writeSync(fd, 'appended line ' + ++n + ' ' + 'x'.repeat(60) + '\\n'), ${APPEND_MS});
process.stdin.on('end', () => { clearInterval(timer); fs.closeSync(fd); process.exit(0); }).resume();
`;

/** Whether R's copy is longer than `atLeast` and equals the first bytes of E's file. */
async function prefixOnR(eFile: string, rFile: string, atLeast: number): Promise<number | null> {
  const onR = await readFile(rFile).catch(() => null);
  if (!onR || onR.length <= atLeast) return null;
  const handle = await open(eFile, 'r');
  try {
    const onE = Buffer.alloc(onR.length);
    const { bytesRead } = await handle.read(onE, 0, onR.length, 0);
    if (bytesRead !== onR.length || !onE.equals(onR)) throw new Error(`R's ${onR.length} bytes are not a prefix of E's file`);
  } finally {
    await handle.close();
  }
  return onR.length;
}

describe('a large file appended to without pause on E', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'app.log'), Buffer.alloc(INITIAL_BYTES, 'an old line of the log\n'));
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    client = spawnClient({ daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') }, ['--interval', '1']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 60_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('R gets prefixes of it while the appends go on, E spends bounded CPU, one warning names it, and R ends equal', async () => {
    const eFile = path.join(e, 'app.log');
    const rFile = path.join(r, 'app.log');
    const writer = spawn(process.execPath, ['-e', WRITER, eFile], { stdio: ['pipe', 'ignore', 'inherit'] });
    const writerDone = new Promise((resolve) => writer.on('exit', resolve));
    try {
      await waitFor(async () => (await stat(eFile)).size > INITIAL_BYTES, { what: 'the first append' });
      const cpuBefore = cpuSeconds(daemon.pid);
      const started = Date.now();

      // A version with appended lines reaches R while E's file keeps growing.
      const first = await waitFor(() => prefixOnR(eFile, rFile, INITIAL_BYTES), { timeoutMs: 20_000, intervalMs: 200, what: 'R to get a version with appended lines' });
      // And a later one: R keeps following the log, not only once.
      await waitFor(() => prefixOnR(eFile, rFile, first), { timeoutMs: 40_000, intervalMs: 200, what: 'R to get a later version' });
      // Held for the whole window, so the CPU share is measured over a known time.
      await waitFor(() => Date.now() - started >= WINDOW_MS, { timeoutMs: WINDOW_MS + 40_000, intervalMs: 200, what: 'the end of the window' });
      const share = (cpuSeconds(daemon.pid) - cpuBefore) / ((Date.now() - started) / 1000);
      console.log(`growing file: daemon CPU ${(share * 100).toFixed(0)}% of a core over ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(share).toBeLessThan(CPU_SHARE_BOUND);
    } finally {
      writer.stdin!.end();
      await writerDone;
    }

    await waitFor(() => sameTree(r, e), { timeoutMs: 40_000, what: 'R to equal E once the appends stopped' });
    const warnings = daemon.stderr().split('\n').filter((line) => line.includes('keeps changing while it is read'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('docs/app.log');
  });
});
