// The watcher under load: a burst of 1,000 creates, modifies and deletes with nested
// directories, renames and editor-style saves must leave a log whose replay (last entry per path)
// equals the final tree; ignored paths never enter the log; a save that keeps the content makes
// no new sequence; a file written in many appends ends up logged with its final content.
import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, treeDigest, waitFor, type DaemonHandle, type RawClient } from '../helpers/index.js';
import { comparable, fetchLog, replayLog, seededRandom, treeDifference } from './daemon-helpers.js';

const isIgnored = (rel: string) => rel === '.git' || rel.startsWith('.git/') || rel.endsWith('.swp') || rel.endsWith('~');

let root: string;
let daemon: DaemonHandle;
let client: RawClient;

beforeAll(async () => {
  root = tempDir();
  writeFileSync(path.join(root, 'seed.txt'), 'present before the start\n');
  daemon = await startDaemon({ dirs: { w: root } });
  client = await connect(daemon.url, daemon.token);
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop();
});

let lastDifference = '';
async function logMatchesTree(): Promise<boolean> {
  const [log, tree] = await Promise.all([fetchLog(client), treeDigest(root, { ignore: isIgnored })]);
  lastDifference = treeDifference(replayLog(log, 'w'), comparable(tree));
  return lastDifference === '';
}
async function expectLogToMatchTree(timeoutMs = 30_000): Promise<void> {
  await waitFor(logMatchesTree, { timeoutMs, intervalMs: 200, what: 'the replayed log to equal the tree' }).catch((err: Error) => {
    throw new Error(`${err.message}\n${lastDifference}\n--- daemon log tail ---\n${daemon.stderr().slice(-3000)}`);
  });
}

/**
 * Lets the test's own client answer the daemon's pings during a long synchronous burst: call it
 * after every write. Thousands of sync writes on a loaded machine block this process for longer
 * than the daemon's heartbeat allows (4–6 s), and the daemon rightly drops a client that silent.
 * Yielding once per 100 writes costs microseconds, so the burst still outruns the watcher.
 */
let writesSinceYield = 0;
async function answerPings(): Promise<void> {
  if (++writesSinceYield < 100) return;
  writesSinceYield = 0;
  await new Promise((resolve) => setImmediate(resolve));
}

describe('zync-daemon watching', () => {
  it('a burst of 1,000 creates/modifies/deletes, nested dirs and renames replays to the final tree', async () => {
    const rand = seededRandom(20261122);
    const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)]!;
    const dirs: string[] = [''];
    const files = new Set<string>();
    const abs = (rel: string) => path.join(root, rel);
    const content = () => randomBytes(Math.floor(rand() * 4096));

    for (let i = 0; i < 40; i++) {
      // d1, d2 and d3 are top-level, so whole-tree operations below can name them.
      const dir = path.posix.join(i < 4 ? '' : pick(dirs), `d${i}`);
      mkdirSync(abs(dir), { recursive: true });
      dirs.push(dir);
    }
    let ops = 0;
    for (; ops < 1000; ops++) {
      const r = rand();
      const existing = [...files];
      if (r < 0.45 || existing.length < 10) {
        const file = path.posix.join(pick(dirs), `f${ops}.dat`);
        writeFileSync(abs(file), content());
        files.add(file);
      } else if (r < 0.65) {
        writeFileSync(abs(pick(existing)), content());
      } else if (r < 0.72) {
        appendFileSync(abs(pick(existing)), content());
      } else if (r < 0.85) {
        const file = pick(existing);
        rmSync(abs(file));
        files.delete(file);
      } else if (r < 0.93) {
        const from = pick(existing);
        const to = path.posix.join(pick(dirs), `renamed${ops}.dat`);
        renameSync(abs(from), abs(to));
        files.delete(from);
        files.add(to);
      } else {
        // An editor save: write a temp file beside the target, rename it over the target.
        const target = pick(existing);
        const temp = path.posix.join(path.posix.dirname(target), `.${path.posix.basename(target)}.tmp${ops}`);
        writeFileSync(abs(temp), content());
        renameSync(abs(temp), abs(target));
      }
      await answerPings();
    }
    // Whole trees: a directory renamed with its contents, one removed, one removed and recreated.
    renameSync(abs('d1'), abs('d1-moved'));
    rmSync(abs('d2'), { recursive: true });
    rmSync(abs('d3'), { recursive: true });
    mkdirSync(abs('d3/again'), { recursive: true });
    writeFileSync(abs('d3/again/new.txt'), 'recreated\n');
    mkdirSync(abs('empty/nested/dirs'), { recursive: true });
    // Ignored paths: they must never enter the log.
    mkdirSync(abs('.git/objects'), { recursive: true });
    writeFileSync(abs('.git/objects/abc'), 'git object');
    writeFileSync(abs('notes.txt.swp'), 'swap');
    writeFileSync(abs('notes.txt~'), 'backup');
    writeFileSync(abs('.zync-tmp-partial'), 'temp');

    await expectLogToMatchTree(60_000);

    const log = await fetchLog(client);
    expect(log.filter((e) => isIgnored(e.path) || e.path.includes('.zync-tmp-'))).toEqual([]);
    const replay = replayLog(log, 'w');
    expect(replay['empty/nested/dirs']).toEqual({ kind: 'dir' });
    expect(replay['d2']).toBeUndefined();
    expect(replay['d1-moved']).toEqual({ kind: 'dir' });
    // Sequences are strictly increasing with no duplicates.
    for (let i = 1; i < log.length; i++) expect(log[i]!.sequence).toBeGreaterThan(log[i - 1]!.sequence);
    expect(client.pushes.length).toBeGreaterThan(0);
    // A client can fetch what the log says, byte for byte.
    const some = Object.entries(replay).find(([, e]) => e.kind === 'file' && e.size! > 0)!;
    const got = await client.getFile('w', some[0]);
    expect(got.end).toMatchObject({ status: 'ok', operation: 'FILE_END', checksum: some[1].sha256 });
  });

  it('files written into a new directory while its watch is being set up are all logged', async () => {
    // The watcher reports a new directory before the OS watch on it exists; what is written in
    // between must not wait for the periodic rescan. Many entries make that window wide.
    const dir = path.join(root, 'fresh');
    mkdirSync(dir);
    for (let i = 0; i < 3000; i++) {
      writeFileSync(path.join(dir, `n${i}.txt`), `first ${i}\n`);
      await answerPings();
    }
    for (let i = 0; i < 3000; i += 7) {
      writeFileSync(path.join(dir, `n${i}.txt`), `second ${i}, longer\n`);
      await answerPings();
    }
    await expectLogToMatchTree(20_000);
  });

  it('a save that keeps the content (touch, editor temp + rename) makes no new sequence', async () => {
    writeFileSync(path.join(root, 'stable.txt'), 'same bytes\n');
    // The whole log caught up, not just some entry for stable.txt: under load the daemon may see
    // the file empty between create and write, and the modify that follows is not a new save.
    await expectLogToMatchTree();
    const before = (await fetchLog(client)).filter((e) => e.path === 'stable.txt');

    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(root, 'stable.txt'), later, later);
    writeFileSync(path.join(root, '.stable.txt.tmp'), 'same bytes\n');
    renameSync(path.join(root, '.stable.txt.tmp'), path.join(root, 'stable.txt'));
    // A sentinel written after the saves: once it is logged, the saves have been looked at.
    writeFileSync(path.join(root, 'sentinel-1'), 'x');
    await waitFor(async () => (await fetchLog(client)).some((e) => e.path === 'sentinel-1'), { what: 'the sentinel logged' });

    const after = (await fetchLog(client)).filter((e) => e.path === 'stable.txt' || e.path === '.stable.txt.tmp');
    expect(after).toEqual(before);
  });

  it('a file written in many appends is logged with its final content', async () => {
    const file = path.join(root, 'growing.log');
    writeFileSync(file, '');
    const started = Date.now();
    let i = 0;
    // Appends for longer than the watcher's longest wait (2 s), a few milliseconds apart.
    while (Date.now() - started < 2500) {
      appendFileSync(file, `line ${i++} ${'x'.repeat(100)}\n`);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const finalSize = statSync(file).size;
    await waitFor(
      async () => {
        const entries = (await fetchLog(client)).filter((e) => e.path === 'growing.log');
        return entries.at(-1)?.size === finalSize;
      },
      { what: 'the final size of growing.log in the log' },
    );
    await expectLogToMatchTree();
  });

  it('a directory deleted with everything in it is logged as deletions, deepest first', async () => {
    mkdirSync(path.join(root, 'tree/a/b'), { recursive: true });
    writeFileSync(path.join(root, 'tree/a/b/leaf.txt'), 'leaf');
    writeFileSync(path.join(root, 'tree/top.txt'), 'top');
    await expectLogToMatchTree(); // every create logged before `since`, whatever steps it took
    const since = (await client.request('GET_LAST_SEQUENCE')).last_sequence as number;
    rmSync(path.join(root, 'tree'), { recursive: true });
    await waitFor(async () => (await fetchLog(client, since)).some((e) => e.path === 'tree' && e.operation === 'delete'), { what: 'tree deleted' });
    const deletions = (await fetchLog(client, since)).filter((e) => e.path.startsWith('tree')).map((e) => `${e.operation} ${e.path}`);
    expect(new Set(deletions)).toEqual(new Set(['delete tree/a/b/leaf.txt', 'delete tree/a/b', 'delete tree/a', 'delete tree/top.txt', 'delete tree']));
    const order = (p: string) => deletions.indexOf(`delete ${p}`);
    expect(order('tree/a/b/leaf.txt')).toBeLessThan(order('tree/a/b'));
    expect(order('tree/a/b')).toBeLessThan(order('tree/a'));
    expect(order('tree/a')).toBeLessThan(order('tree'));
    expect(readdirSync(root)).not.toContain('tree');
  });

  it('a directory removed and made again at once is still watched: later writes in it are logged', async () => {
    const dir = path.join(root, 'again-and-again');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'sub/one.txt'), 'one');
    await expectLogToMatchTree();
    rmSync(dir, { recursive: true });
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    await expectLogToMatchTree();
    // Written once the new directories are known: only a watch on them can report this.
    writeFileSync(path.join(dir, 'sub/two.txt'), 'two');
    writeFileSync(path.join(dir, 'three.txt'), 'three');
    await expectLogToMatchTree(10_000);
    // The same one level down, below a directory that stays.
    rmSync(path.join(dir, 'sub'), { recursive: true });
    mkdirSync(path.join(dir, 'sub'));
    await expectLogToMatchTree();
    writeFileSync(path.join(dir, 'sub/four.txt'), 'four');
    await expectLogToMatchTree(10_000);
  });
});
