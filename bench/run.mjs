#!/usr/bin/env node
// pnpm bench: measures zync against `rsync -a` on deterministic workloads (W1 10,000 small
// files, W2 one 1 GiB file, W3 20 edits after W1, W4 single-file latency in continuous mode,
// W1 again through a 25 ms-each-way delay proxy) and prints one table with wall time, rate,
// peak RSS of daemon and client and the zync/rsync ratio, plus the targets from issue 3.
// It is a measurement: missed targets still exit 0; a failed sync or a tree that differs from
// E exits 1. It runs the BUILT binaries (`pnpm build` first), uses node built-ins only, works
// in a temp dir (under $ZYNC_BENCH_DIR or the OS temp dir) and removes it and every process it
// started on exit or SIGINT (unless --keep).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, watch, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startProxy } from '../tests/helpers/tcp-proxy.mjs';
import {
  REPO_ROOT,
  clientArgs,
  killAllChildrenNow,
  rsyncVersion,
  runRsync,
  rsyncHasFsync,
  runTimed,
  sampleRss,
  setZyncNodeArgs,
  sleep,
  spawnZync,
  startDaemon,
  stopAllChildren,
  stopChild,
  syncDisks,
  tail,
  timeDurableCopy,
} from './lib/procs.mjs';
import { compareTrees } from './lib/tree.mjs';
import { W1, W2, W3, W4, planW3Edits, planW4Writes, writeW1Tree, writeW2File } from './lib/workloads.mjs';

const TOKEN = 'zync-bench-token-0123456789abcdef';
const PROXY_DELAY_MS = 25;
const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W1P'];
const ALIASES = { 'W1-PROXY': 'W1P', PROXY: 'W1P' };
const TARGETS = { proxyRatio: 1.5, w4p50: 20, w4p95: 50, rssMiB: 150 };
const MiB = 1024 * 1024;
const LOAD_AT_START = os.loadavg();
/** One run of W1 or W2 can be off by 2x on this VM (rsync's as much as zync's); medians of 3 are not. */
const DEFAULT_RUNS = 3;

const USAGE = `usage: pnpm bench [--only W1,W2,W3,W4,W1P] [--runs N] [--keep] [--cpu-prof DIR]
  --only LIST     run a subset (W1P = W1 through the ${PROXY_DELAY_MS} ms delay proxy; W3, W4 and W1P include W1)
  --runs N        time W1 and W2 N times each for zync and for rsync, alternating which goes
                  first; the table shows medians (default ${DEFAULT_RUNS})
  --keep          keep the temp dir (printed at the start)
  --cpu-prof DIR  run daemon and client under node --cpu-prof, one .cpuprofile per process in DIR
                  (summarise with: node bench/profile-summary.mjs DIR/*.cpuprofile)
  env ZYNC_BENCH_DIR: where the temp dir is made (default: the OS temp dir)`;

// ---------------------------------------------------------------------------------------------
// Arguments, temp dir, cleanup

let options;
try {
  options = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string', default: String(DEFAULT_RUNS) },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    // `pnpm bench -- --only W1` hands the `--` through; drop it.
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
    strict: true,
  }).values;
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const RUNS = Number(options.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) {
  console.error(`--runs takes a whole number from 1 to 20, not "${options.runs}"\n${USAGE}`);
  process.exit(2);
}
const selected = new Set();
for (const raw of (options.only ?? WORKLOADS.join(',')).split(',').map((s) => s.trim().toUpperCase()).filter(Boolean)) {
  const name = ALIASES[raw] ?? raw;
  if (!WORKLOADS.includes(name)) {
    console.error(`unknown workload "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  selected.add(name);
}
// W3 and W4 start from W1's synced tree; W1P is compared with W1 direct.
const runW1 = ['W1', 'W3', 'W4', 'W1P'].some((w) => selected.has(w));

for (const bin of ['packages/daemon/dist/zync-daemon.mjs', 'packages/client/dist/zync-client.mjs']) {
  if (!existsSync(path.join(REPO_ROOT, bin))) {
    console.error(`${bin} is missing: run \`pnpm build\` first.`);
    process.exit(2);
  }
}

if (options['cpu-prof']) {
  const profDir = path.resolve(options['cpu-prof']);
  mkdirSync(profDir, { recursive: true });
  setZyncNodeArgs(['--cpu-prof', '--cpu-prof-dir', profDir]);
}

const parentDir = process.env.ZYNC_BENCH_DIR || os.tmpdir();
mkdirSync(parentDir, { recursive: true });
const benchDir = await mkdtemp(path.join(parentDir, 'zync-bench-'));
const proxies = new Set();
let cleanupPromise = null;
let benchDirRemoved = false;
let interrupted = false;

/** Closes proxies, stops every child, removes the temp dir; the same promise for every caller. */
function cleanup() {
  cleanupPromise ??= (async () => {
    await Promise.all([...proxies].map((p) => p.close()));
    await stopAllChildren();
    if (!options.keep) await rm(benchDir, { recursive: true, force: true });
    benchDirRemoved = true;
  })();
  return cleanupPromise;
}
process.on('exit', () => {
  killAllChildrenNow();
  if (!benchDirRemoved && !options.keep) rmSync(benchDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping and cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Results

/** key -> row; a row: {label, zyncSeconds, rate, daemonKiB, clientKiB, rsyncSeconds, ratio, error} */
const rows = new Map();
const notes = [];
let failures = 0;

function fail(key, label, err) {
  failures += 1;
  const message = err instanceof Error ? err.message : String(err);
  rows.set(key, { ...(rows.get(key) ?? { label }), error: message.split('\n')[0] });
  log(`${key} FAILED: ${message}`);
}

async function verify(what, expectedRoot, actualRoot) {
  const result = await compareTrees(expectedRoot, actualRoot);
  if (!result.same) {
    throw new Error(`${what}: trees differ (${result.problemCount} problem(s)):\n  ${result.problems.join('\n  ')}`);
  }
  if (result.mtimeDiffs > 0) notes.push(`${what}: ${result.mtimeDiffs} file(s) with an mtime differing from E's (by >= 1 ms)`);
  log(`${what}: verified, ${result.files} files and ${result.dirs} directories identical`);
  return result;
}

function checkExit(what, run) {
  if (run.code !== 0) {
    throw new Error(`${what} exited with ${run.code ?? run.signal} after ${run.seconds.toFixed(1)} s:\n${tail(run.stderr)}`);
  }
}

/**
 * Times zync and `rsync -a` on one workload RUNS times each, alternating which goes first so
 * that neither always inherits the other's writeback or cache state, and verifies every copy
 * against E. zync(round) spawns one timed client and says where it synced to; rsyncDst(round)
 * is rsync's destination; discard, if given, removes a verified copy. Returns the medians (what
 * the table and targets use), every time (a note), and the client's peak RSS over all runs.
 */
async function timeAgainstRsync(key, E, { zync, rsyncDst, discard }) {
  const zyncTimes = [];
  const rsyncTimes = [];
  let clientKiB;
  for (let round = 1; round <= RUNS; round++) {
    const order = round % 2 === 1 ? ['zync', 'rsync'] : ['rsync', 'zync'];
    for (const tool of order) {
      const of = RUNS > 1 ? ` (run ${round} of ${RUNS})` : '';
      syncDisks();
      if (tool === 'zync') {
        const { run, dst } = await zync(round);
        checkExit(`${key}: zync-client --once${of}`, run);
        log(`${key}: zync ${run.seconds.toFixed(2)} s${of}`);
        await verify(`${key} zync`, E, dst);
        zyncTimes.push(run.seconds);
        if (run.peakKiB != null) clientKiB = Math.max(clientKiB ?? 0, run.peakKiB);
        await discard?.(dst);
      } else if (rsync) {
        const dst = rsyncDst(round);
        const r = await runRsync(E, dst, 900_000);
        checkExit(`${key}: rsync -a${of}`, r);
        log(`${key}: rsync ${r.seconds.toFixed(2)} s${of}`);
        await verify(`${key} rsync`, E, dst);
        rsyncTimes.push(r.seconds);
        await discard?.(dst);
      }
    }
  }
  if (RUNS > 1) {
    const list = (times) => times.map(fmtSeconds).join(', ');
    notes.push(`${key}: ${RUNS} runs each, medians in the table; zync ${list(zyncTimes)} s${rsync ? `; rsync -a ${list(rsyncTimes)} s` : ''}`);
  }
  return { zyncSeconds: median(zyncTimes), rsyncSeconds: rsync ? median(rsyncTimes) : undefined, clientKiB };
}

// ---------------------------------------------------------------------------------------------
// W1 environment: E with 10,000 files, a daemon on it, R synced; shared by W1, W1P, W3, W4

const rsync = rsyncVersion();
if (!rsync) log('rsync not installed: rsync columns and ratios will be n/a');
const rsyncFsync = rsync !== null && rsyncHasFsync();

/**
 * Context for "durability included": rsync -a does not fsync, zync does. Times `rsync -a --fsync`
 * into a fresh dir and adds it as a note; not a column, not a target.
 */
async function noteRsyncFsync(key, E, dst) {
  if (!rsyncFsync) return;
  syncDisks();
  const r = await runRsync(E, dst, 900_000, ['--fsync']);
  checkExit(`${key}: rsync -a --fsync`, r);
  log(`${key}: rsync --fsync ${r.seconds.toFixed(2)} s`);
  notes.push(`${key}: rsync -a --fsync (durable, like zync) took ${fmtSeconds(r.seconds)} s`);
}

/**
 * Context for "durability included": a native durable copy (cp -a, one syncfs at the end).
 * Added as a note beside rsync --fsync; the copy is removed at once.
 */
async function noteDurableCopy(key, E, dst) {
  syncDisks();
  mkdirSync(dst, { recursive: true });
  const seconds = timeDurableCopy(E, dst);
  await rm(dst, { recursive: true, force: true });
  if (seconds === null) return;
  log(`${key}: cp -a + sync -f ${seconds.toFixed(2)} s`);
  notes.push(`${key}: cp -a then one sync -f (a durable copy with a single barrier, no network, no checks) took ${fmtSeconds(seconds)} s`);
}

async function runW1Family() {
  const dir = path.join(benchDir, 'w1');
  const E = path.join(dir, 'E');
  const daemonDb = path.join(dir, 'daemon-state', 'sync.db');
  for (const d of [E, path.dirname(daemonDb), path.join(dir, 'client-state')]) mkdirSync(d, { recursive: true });

  log(`W1: generating ${W1.files} files in ${W1.topDirs * W1.subDirs} directories`);
  let started = performance.now();
  const generated = await writeW1Tree(E);
  log(`W1: generated ${(generated.bytes / MiB).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  syncDisks();

  const daemon = await startDaemon({ name: 'w1', root: E, db: daemonDb, token: TOKEN });
  const daemonRss = sampleRss(daemon.child.pid);
  notes.push(`zync-daemon start-up (scan + hash of W1's ${W1.files} files, not in W1's time): ${daemon.startSeconds.toFixed(2)} s`);
  log(`W1: daemon listening on port ${daemon.port} after ${daemon.startSeconds.toFixed(2)} s`);

  const label1 = `W1  ${fmtInt(W1.files)} files, ${(generated.bytes / MiB).toFixed(0)} MiB`;
  // Each run syncs into a fresh R (and client database) and leaves it: on some file systems
  // (ext4 without a journal) creating files soon after deleting thousands is several times
  // slower. The last run's R and database are where W3 and W4 continue.
  const R = (round) => path.join(dir, `R-${round}`);
  const clientDb = (round) => path.join(dir, 'client-state', `sync_client-${round}.db`);
  const Rrsync = (round) => path.join(dir, `R-rsync-${round}`);
  let w1Seconds = null;
  try {
    // The daemon's peak includes its start-up scan: that is part of serving W1.
    const result = await timeAgainstRsync('W1', E, {
      zync: async (round) => {
        const rssFile = path.join(dir, `client-w1-${round}.rss`);
        const args = clientArgs({ url: daemon.url, db: clientDb(round), name: 'w1', root: R(round), token: TOKEN, once: true });
        return { run: await runTimed(() => spawnZync('client', args, { rssFile }), { timeoutMs: 900_000, rssFile }), dst: R(round) };
      },
      rsyncDst: Rrsync,
    });
    w1Seconds = result.zyncSeconds;
    rows.set('W1', { label: label1, ...result, rate: `${fmtInt(W1.files / result.zyncSeconds)} files/s`, daemonKiB: daemonRss.peakKiB() });
    await noteRsyncFsync('W1', E, path.join(dir, 'R-rsync-fsync'));
    await noteDurableCopy('W1', E, path.join(dir, 'R-durable-copy'));
  } catch (err) {
    fail('W1', label1, err);
    await stopChild(daemon.child);
    daemonRss.stop();
    for (const w of ['W1P', 'W3', 'W4']) if (selected.has(w)) fail(w, w, new Error('skipped: W1 failed'));
    return;
  }

  if (selected.has('W1P')) {
    const label = `W1P W1 via ${PROXY_DELAY_MS} ms/way proxy`;
    let proxy;
    try {
      proxy = await startProxy({ targetPort: daemon.port, delayMs: PROXY_DELAY_MS });
      proxies.add(proxy);
      const Rp = path.join(dir, 'R-proxy');
      const rssFile = path.join(dir, 'client-w1p.rss');
      daemonRss.reset();
      syncDisks();
      const run = await runTimed(
        () =>
          spawnZync(
            'client',
            clientArgs({ url: proxy.url, db: path.join(dir, 'client-state', 'proxy_client.db'), name: 'w1', root: Rp, token: TOKEN, once: true }),
            { rssFile },
          ),
        { timeoutMs: 900_000, rssFile },
      );
      const daemonKiB = daemonRss.peakKiB();
      checkExit('W1P: zync-client --once through the proxy', run);
      log(`W1P: zync through the proxy ${run.seconds.toFixed(2)} s`);
      await verify('W1P zync', E, Rp);
      notes.push(
        `W1P proxy traffic: ${(proxy.bytes.toTarget / MiB).toFixed(1)} MiB client->daemon, ${(proxy.bytes.toClient / MiB).toFixed(1)} MiB daemon->client, ${proxy.counters.accepted} connection(s)`,
      );
      rows.set('W1P', {
        label,
        zyncSeconds: run.seconds,
        rate: `${fmtInt(W1.files / run.seconds)} files/s`,
        daemonKiB,
        clientKiB: run.peakKiB,
        ratio: `${(run.seconds / w1Seconds).toFixed(2)} x W1 direct`,
        proxyRatio: run.seconds / w1Seconds,
      });
    } catch (err) {
      fail('W1P', label, err);
    } finally {
      if (proxy) {
        await proxy.close();
        proxies.delete(proxy);
      }
    }
  }

  if (selected.has('W3') || selected.has('W4')) {
    const clientRssFile = path.join(dir, 'client-continuous.rss');
    const client = spawnZync('client', clientArgs({ url: daemon.url, db: clientDb(RUNS), name: 'w1', root: R(RUNS), token: TOKEN, once: false }), {
      rssFile: clientRssFile,
    });
    const clientRss = sampleRss(client.pid);
    try {
      // Proves the continuous client is connected and pulling before anything is timed.
      const warm = { rel: 'd00/s00/bench-warmup.txt', data: Buffer.from('warm-up\n') };
      started = performance.now();
      await writeFile(path.join(E, warm.rel), warm.data);
      await waitForContents(R(RUNS), [warm], 60_000, client);
      log(`continuous client live (warm-up file arrived after ${((performance.now() - started) / 1000).toFixed(2)} s)`);
      if (rsync) {
        const r = await runRsync(E, Rrsync(RUNS), 120_000);
        checkExit('rsync -a (warm-up)', r);
      }
      if (selected.has('W3')) await runW3({ E, R: R(RUNS), Rrsync: Rrsync(RUNS), daemonRss, clientRss, client });
      if (selected.has('W4')) await runW4({ E, R: R(RUNS), daemonRss, clientRss, client });
    } finally {
      await stopChild(client);
      clientRss.stop();
    }
  }

  await stopChild(daemon.child);
  daemonRss.stop();
  // W1's trees stay until the end: on some file systems (ext4 without a journal) creating files
  // soon after deleting thousands is several times slower, which would skew what runs next.
}

async function runW3({ E, R, Rrsync, daemonRss, clientRss, client }) {
  const label = `W3  ${W3.modified} modified + ${W3.added} added`;
  try {
    const edits = planW3Edits();
    syncDisks();
    daemonRss.reset();
    clientRss.reset();
    for (const edit of edits) await writeFile(path.join(E, edit.rel), edit.data);
    const t0 = performance.now();
    const t1 = await waitForContents(R, edits, 60_000, client);
    const seconds = (t1 - t0) / 1000;
    const row = {
      label,
      zyncSeconds: seconds,
      rate: `${fmtInt(edits.length / seconds)} files/s`,
      daemonKiB: daemonRss.peakKiB(),
      clientKiB: clientRss.peakKiB(),
    };
    log(`W3: zync (continuous client) ${seconds.toFixed(3)} s`);
    await verify('W3 zync', E, R);
    rows.set('W3', row);
    if (rsync) {
      syncDisks();
      const r = await runRsync(E, Rrsync, 120_000);
      checkExit('W3: rsync -a (second pass)', r);
      log(`W3: rsync ${r.seconds.toFixed(3)} s`);
      await verify('W3 rsync', E, Rrsync);
      row.rsyncSeconds = r.seconds;
    }
  } catch (err) {
    fail('W3', label, err);
  }
}

async function runW4({ E, R, daemonRss, clientRss, client }) {
  const label = `W4  ${W4.bytes / 1024} KiB file, ${W4.writes} writes`;
  try {
    const writes = planW4Writes();
    syncDisks();
    daemonRss.reset();
    clientRss.reset();
    const latencies = [];
    for (const w of writes) {
      const waiting = waitForContents(R, [w], 10_000, client);
      const t0 = performance.now();
      writeFileSync(path.join(E, w.rel), w.data);
      const t1 = await waiting;
      latencies.push(t1 - t0);
      // Lets the daemon's watcher and the client go idle, so each write is measured alone.
      await sleep(100);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    log(`W4: latencies ms: ${latencies.map((l) => l.toFixed(1)).join(' ')}`);
    notes.push(`W4 latencies (ms, in write order): ${latencies.map((l) => l.toFixed(1)).join(' ')}`);
    notes.push(`W4: each latency holds two fsyncs in series (E's log entry, then R's file before it is put in place); one costs ${FSYNC_MS.toFixed(1)} ms on this file system`);
    rows.set('W4', {
      label,
      zyncSeconds: p50 / 1000,
      rate: `p50 ${p50.toFixed(1)} / p95 ${p95.toFixed(1)} ms`,
      daemonKiB: daemonRss.peakKiB(),
      clientKiB: clientRss.peakKiB(),
      p50,
      p95,
    });
    await verify('W4 zync', E, R);
  } catch (err) {
    fail('W4', label, err);
  }
}

/**
 * Resolves with performance.now() at the moment every file in `files` ({rel, data}) holds
 * exactly `data` below root. Checks on fs.watch events for the files' directories and every
 * millisecond anyway (watch events can be coalesced or missed).
 */
function waitForContents(root, files, timeoutMs, client) {
  return new Promise((resolve, reject) => {
    const pending = new Map(files.map((f) => [path.join(root, f.rel), f.data]));
    const watchers = [];
    let timer;
    let deadline;
    const finish = (fn) => {
      clearInterval(timer);
      clearTimeout(deadline);
      for (const w of watchers) w.close();
      fn();
    };
    const check = () => {
      for (const [file, data] of pending) {
        let got;
        try {
          got = readFileSync(file);
        } catch {
          continue;
        }
        if (got.equals(data)) pending.delete(file);
      }
      if (pending.size === 0) {
        const at = performance.now();
        finish(() => resolve(at));
      } else if (client && !client.alive()) {
        finish(() => reject(new Error(`zync-client exited while waiting:\n${tail(client.stderr())}`)));
      }
    };
    for (const dir of new Set([...pending.keys()].map((f) => path.dirname(f)))) {
      try {
        watchers.push(watch(dir, check));
      } catch {
        // The directory does not exist yet: the 1 ms poll covers it.
      }
    }
    timer = setInterval(check, 1);
    deadline = setTimeout(() => {
      finish(() =>
        reject(new Error(`${pending.size} file(s) not up to date on R after ${timeoutMs / 1000} s, e.g. ${[...pending.keys()][0]}`)),
      );
    }, timeoutMs);
    check();
  });
}

// ---------------------------------------------------------------------------------------------
// W2: one 1 GiB file, its own E, daemon and R

async function runW2() {
  const label = `W2  1 file, ${W2.bytes / MiB} MiB`;
  const dir = path.join(benchDir, 'w2');
  const E = path.join(dir, 'E');
  const R = path.join(dir, 'R');
  const Rrsync = path.join(dir, 'R-rsync');
  const daemonDb = path.join(dir, 'daemon-state', 'sync.db');
  const clientDb = (round) => path.join(dir, 'client-state', `sync_client-${round}.db`);
  for (const d of [E, path.dirname(daemonDb), path.join(dir, 'client-state')]) mkdirSync(d, { recursive: true });
  let daemon;
  let daemonRss;
  try {
    log(`W2: generating one ${W2.bytes / MiB} MiB file`);
    const started = performance.now();
    await writeW2File(E);
    log(`W2: generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    syncDisks();
    daemon = await startDaemon({ name: 'w2', root: E, db: daemonDb, token: TOKEN });
    daemonRss = sampleRss(daemon.child.pid);
    notes.push(`zync-daemon start-up (scan + hash of W2's 1 GiB, not in W2's time): ${daemon.startSeconds.toFixed(2)} s`);
    // Each copy is removed once verified: the disk holds E and one 1 GiB copy at a time.
    const result = await timeAgainstRsync('W2', E, {
      zync: async (round) => {
        const rssFile = path.join(dir, `client-w2-${round}.rss`);
        const args = clientArgs({ url: daemon.url, db: clientDb(round), name: 'w2', root: R, token: TOKEN, once: true });
        return { run: await runTimed(() => spawnZync('client', args, { rssFile }), { timeoutMs: 900_000, rssFile }), dst: R };
      },
      rsyncDst: () => Rrsync,
      discard: (dst) => rm(dst, { recursive: true, force: true }),
    });
    rows.set('W2', { label, ...result, rate: `${(W2.bytes / MiB / result.zyncSeconds).toFixed(0)} MiB/s`, daemonKiB: daemonRss.peakKiB() });
    await noteRsyncFsync('W2', E, path.join(dir, 'R-rsync-fsync'));
    await noteDurableCopy('W2', E, path.join(dir, 'R-durable-copy'));
  } catch (err) {
    fail('W2', label, err);
  } finally {
    if (daemon) await stopChild(daemon.child);
    daemonRss?.stop();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Microseconds to create one empty file here (2,000 files, kept until the end). Shows when the
 * file system is in a slow state, e.g. ext4 without a journal shortly after mass deletions.
 */
function probeCreateCost() {
  const dir = path.join(benchDir, 'create-probe');
  mkdirSync(dir);
  const n = 2000;
  const started = performance.now();
  for (let i = 0; i < n; i++) closeSync(openSync(path.join(dir, `p${i}`), 'w'));
  return ((performance.now() - started) * 1000) / n;
}

/**
 * Median milliseconds to create, write (2 KiB) and fsync one new file here: the floor under each
 * W4 latency (R fsyncs the file before renaming it, and E's daemon fsyncs its log), which on a
 * loop device or a busy disk is several times a bare disk's.
 */
function probeFsyncCost() {
  const dir = path.join(benchDir, 'fsync-probe');
  mkdirSync(dir);
  const data = Buffer.alloc(2048, 1);
  const times = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    const fd = openSync(path.join(dir, `p${i}`), 'w');
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    times.push(performance.now() - started);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

// ---------------------------------------------------------------------------------------------
// Report

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function fmtSeconds(s) {
  if (s === undefined || s === null) return 'n/a';
  return s < 1 ? s.toFixed(3) : s.toFixed(2);
}

function fmtMiB(kib) {
  return kib === undefined || kib === null ? 'n/a' : (kib / 1024).toFixed(1);
}

function printReport() {
  const cpus = os.cpus();
  console.log('');
  console.log(
    `zync benchmark: node ${process.version}, ${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, ` +
      `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, load average at start ${LOAD_AT_START.map((l) => l.toFixed(1)).join(' ')}, ` +
      `rsync ${rsync ?? 'not installed'}, dir ${benchDir}, file create ${CREATE_US.toFixed(0)} us, fsync ${FSYNC_MS.toFixed(1)} ms`,
  );
  const header = ['workload', 'zync s', 'rate', 'daemon MiB', 'client MiB', 'rsync s', 'ratio'];
  const table = [header];
  for (const key of WORKLOADS) {
    const row = rows.get(key);
    if (!row) continue;
    if (row.error) {
      table.push([row.label, 'FAILED', row.error, '', '', '', '']);
      continue;
    }
    let ratio = row.ratio;
    if (!ratio) {
      if (key === 'W4' || !rsync || row.rsyncSeconds === undefined) ratio = 'n/a';
      else ratio = `${(row.zyncSeconds / row.rsyncSeconds).toFixed(2)} zync/rsync`;
    }
    const rsyncCol = key === 'W4' || key === 'W1P' || !rsync ? 'n/a' : fmtSeconds(row.rsyncSeconds);
    table.push([row.label, fmtSeconds(row.zyncSeconds), row.rate, fmtMiB(row.daemonKiB), fmtMiB(row.clientKiB), rsyncCol, ratio]);
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const numeric = new Set([1, 3, 4, 5]);
  for (const [i, r] of table.entries()) {
    console.log(r.map((cell, c) => (numeric.has(c) && i > 0 ? String(cell).padStart(widths[c]) : String(cell).padEnd(widths[c]))).join('  ').trimEnd());
  }
  console.log('');
  console.log(`targets: ${targetLine().join(' | ')}`);
  if (!rsync) console.log('rsync not installed: rsync times and ratios are n/a');
  if (CREATE_US > 100) {
    console.log(`warning: creating a file took ${CREATE_US.toFixed(0)} us (about 35 on an idle ext4 here): the file system is slow right now (recent mass deletions?); W1 times are inflated`);
  }
  if (LOAD_AT_START[0] > cpus.length / 2) {
    console.log(`warning: the machine was busy at the start (1-min load ${LOAD_AT_START[0].toFixed(1)} on ${cpus.length} CPUs): timings are unreliable`);
  }
  for (const note of notes) console.log(`note: ${note}`);
}

function targetLine() {
  const out = [];
  const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'PASS' : 'MISS');
  for (const key of ['W1', 'W2']) {
    const row = rows.get(key);
    if (!row || !selected.has(key)) continue;
    const ok = row.error ? false : row.rsyncSeconds === undefined ? null : row.zyncSeconds <= row.rsyncSeconds;
    out.push(`${key} <= rsync: ${verdict(ok)}`);
  }
  const p = rows.get('W1P');
  if (p) out.push(`W1P <= ${TARGETS.proxyRatio}x W1: ${verdict(p.error ? false : p.proxyRatio <= TARGETS.proxyRatio)}`);
  const w4 = rows.get('W4');
  if (w4) {
    out.push(`W4 p50 <= ${TARGETS.w4p50} ms: ${verdict(w4.error ? false : w4.p50 <= TARGETS.w4p50)}`);
    out.push(`W4 p95 <= ${TARGETS.w4p95} ms: ${verdict(w4.error ? false : w4.p95 <= TARGETS.w4p95)}`);
  }
  for (const key of ['W1', 'W2']) {
    const row = rows.get(key);
    if (!row || row.error || !selected.has(key)) continue;
    const peak = Math.max(row.daemonKiB ?? 0, row.clientKiB ?? 0) / 1024;
    out.push(`${key} RSS < ${TARGETS.rssMiB} MiB: ${verdict(row.daemonKiB == null && row.clientKiB == null ? null : peak < TARGETS.rssMiB)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

log(`temp dir ${benchDir}${options.keep ? ' (kept)' : ''}; workloads ${[...selected].join(',')}`);
const CREATE_US = probeCreateCost();
const FSYNC_MS = probeFsyncCost();
log(`creating an empty file here costs ${CREATE_US.toFixed(0)} us; writing and fsyncing a new 2 KiB file ${FSYNC_MS.toFixed(1)} ms`);
try {
  if (runW1) {
    if (!selected.has('W1')) log('W1 runs too: W3, W4 and W1P start from it');
    selected.add('W1');
    await runW1Family();
  }
  if (selected.has('W2')) await runW2();
} catch (err) {
  failures += 1;
  log(`benchmark aborted: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  if (!interrupted) printReport();
  await cleanup();
}
process.exit(interrupted ? 130 : failures > 0 ? 1 : 0);
