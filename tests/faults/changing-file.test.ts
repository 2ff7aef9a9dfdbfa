// A file that keeps changing while it is being served. A writer process on E rewrites a 6 MiB
// file in place (same size: only the content and mtime change, so a read that overlaps a write
// sees half of one version and half of the next) over and over while a continuous client pulls;
// every version is the version's marker repeated, so any mix of two versions is recognisable.
// Every state R ever shows at the path must be one complete version E wrote — never a torn mix
// delivered under some checksum — and once the writer stops, R settles to the final version.
// The writer is its own process, so nothing in this test can stall it half-way through a version
// (a torn state that stays put for a while is, to any sync tool, simply the file's content).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTree, sha256File, startDaemon, tempDir, waitFor, type DaemonHandle, type SpawnedCli } from '../helpers/index.js';
import { spawnClient, stateDb, type ClientSetup } from '../client/support.js';

const SIZE = 6 * 1024 * 1024;
const WRITE_MS = 6000;

const marker = (v: number) => `v${String(v).padStart(6, '0')}-payload\n`; // 16 bytes
/** Version v: its marker repeated to SIZE bytes. */
const versionContent = (v: number): Buffer => Buffer.alloc(SIZE, marker(v));

/** The version a buffer holds whole, or a description of what is wrong with it. */
function versionOf(content: Buffer): number | string {
  if (content.length !== SIZE) return `${content.length} bytes instead of ${SIZE}`;
  const match = /^v(\d{6})-payload\n$/.exec(content.subarray(0, 16).toString('latin1'));
  if (!match) return `unrecognised start ${JSON.stringify(content.subarray(0, 16).toString('latin1'))}`;
  const v = Number(match[1]);
  if (!content.equals(versionContent(v))) {
    const at = content.findIndex((byte, i) => byte !== versionContent(v)[i]);
    return `torn: v${match[1]} up to about byte ${at}`;
  }
  return v;
}

/**
 * Rewrites `file` in place for `ms` milliseconds, each version in one pwrite, with a random
 * pause after half of them (workload pacing: some versions stay put long enough to be served,
 * others do not). Prints the last version written.
 */
const WRITER = `
const fs = require('node:fs');
const [file, size, ms, seed] = process.argv.slice(1).map((a, i) => (i === 0 ? a : Number(a)));
let s = seed >>> 0;
const random = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
const pause = new Int32Array(new SharedArrayBuffer(4));
const fd = fs.openSync(file, 'r+');
const started = Date.now();
let v = 0;
while (Date.now() - started < ms) {
  v++;
  const content = Buffer.alloc(size, 'v' + String(v).padStart(6, '0') + '-payload\\n');
  fs.writeSync(fd, content, 0, size, 0);
  if (random() < 0.5) Atomics.wait(pause, 0, 0, Math.floor(random() * 400));
}
fs.closeSync(fd);
process.stdout.write(String(v));
`;

function runWriter(file: string, ms: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', WRITER, file, String(SIZE), String(ms), '7'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`writer exited with ${code}`))));
  });
}

describe('a file rewritten in place while it is served', () => {
  let e: string;
  let r: string;
  let daemon: DaemonHandle;
  let client: SpawnedCli;
  let setup: ClientSetup;

  beforeAll(async () => {
    e = tempDir('zync-e-');
    r = tempDir('zync-r-');
    await writeFile(path.join(e, 'hot.bin'), versionContent(0));
    daemon = await startDaemon({ dirs: { docs: e }, db: stateDb() });
    setup = { daemon, dirs: { docs: r }, db: path.join(tempDir('zync-rstate-'), 'sync_client.db') };
    client = spawnClient(setup, ['--interval', '1']);
    await waitFor(() => sameTree(r, e), { timeoutMs: 30_000, what: 'the initial sync' });
  });
  afterAll(async () => {
    await client?.stop('SIGKILL');
    await daemon?.stop();
  });

  it('R only ever holds whole versions, and settles to the last one', async () => {
    const seenOnR = new Map<number, number>();
    const problems: string[] = [];
    let writing = true;
    let highestWritten = Infinity; // known once the writer exits

    const observe = async () => {
      for (let final = false; !final; ) {
        final = !writing;
        const content = await readFile(path.join(r, 'hot.bin')).catch(() => null);
        if (content) {
          const v = versionOf(content);
          if (typeof v === 'string') problems.push(v);
          else if (v > highestWritten) problems.push(`v${v} was never written on E`);
          else seenOnR.set(v, (seenOnR.get(v) ?? 0) + 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 5)); // polling pace, not a wait for a condition
      }
    };
    const observer = observe();
    const version = await runWriter(path.join(e, 'hot.bin'), WRITE_MS);
    highestWritten = version;
    writing = false;
    await observer;

    const final = versionContent(version);
    await waitFor(async () => (await readFile(path.join(r, 'hot.bin')).catch(() => null))?.equals(final), {
      timeoutMs: 30_000,
      what: `R to settle to v${version}`,
    });
    expect(await sha256File(path.join(r, 'hot.bin'))).toBe(await sha256File(path.join(e, 'hot.bin')));
    const refused = (daemon.stderr().match(/FILE_CHANGED/g) ?? []).length + (client.stderr().match(/changed while it was being read/g) ?? []).length;
    console.log(
      `changing file: ${version} versions of ${SIZE / 1024 / 1024} MiB written in place; R showed ${seenOnR.size} distinct whole versions ` +
        `(${[...seenOnR.keys()].sort((a, b) => a - b).join(', ')}); transfers refused as changed: ${refused}`,
    );
    expect(problems).toEqual([]);
    expect(seenOnR.size, 'R never showed an intermediate version: the test proved little').toBeGreaterThan(1);
  });
});
