// The quick-start demo: a real zync-daemon (E) and a continuous zync-client (R) on loopback,
// syncing .demo/E/sample to .demo/R/sample. Shows the initial sync, then a new file written on
// E crossing over to R. With --check (or without a terminal) it exits after that; otherwise it
// keeps running so you can edit files under .demo/E/sample and watch them arrive.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const demo = path.join(repo, '.demo');
const eRoot = path.join(demo, 'E', 'sample');
const rRoot = path.join(demo, 'R', 'sample');
const eState = path.join(demo, 'E-state');
const rState = path.join(demo, 'R-state');
const checkOnly = process.argv.includes('--check') || !process.stdout.isTTY;
const children = [];

const say = (line) => process.stdout.write(`${line}\n`);
// Each run starts from a clean .demo/ (a second daemon on the old state would find it in use, a
// replica of old edits would confuse the show): said at the end, where a user looks for the folders.
const WIPED_NEXT_TIME = 'The next run of the demo deletes .demo/ and starts afresh: keep nothing of yours there.';

function start(bin, args) {
  // Its own process group: Ctrl-C reaches the demo only, which stops each child with one SIGTERM.
  // Had the terminal's SIGINT reached them too, that SIGTERM would be a second signal, which ends
  // a zync process at once instead of cleanly.
  const child = spawn(process.execPath, [path.join(repo, `packages/${bin}/bin/zync-${bin}.js`), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  children.push(child);
  return { child, stderr: () => stderr };
}

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Stops every child with one SIGTERM and resolves once all have exited. */
function stopAll() {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  return Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, async () => {
    await stopAll();
    say(`\nStopped. The demo folders are in .demo/ (delete them with: rm -rf .demo). ${WIPED_NEXT_TIME}`);
    process.exit(0);
  });
}

say('Starting afresh in .demo/ (removed and made again)…');
rmSync(demo, { recursive: true, force: true });
for (const dir of [eRoot, eState, rState]) mkdirSync(dir, { recursive: true });
writeFileSync(path.join(eRoot, 'README.txt'), 'This folder lives on E. zync keeps a replica on R.\n');
mkdirSync(path.join(eRoot, 'notes'));
writeFileSync(path.join(eRoot, 'notes', 'todo.md'), '- try zync\n- edit a file on E and watch it reach R\n');

say('Starting zync-daemon on E (127.0.0.1, sample → .demo/E/sample)…');
const daemon = start('daemon', ['--host', '127.0.0.1', '--port', '0', '--db', path.join(eState, 'sync.db'), '--dirs', `sample:${eRoot}`]);
const port = await until('the daemon to listen', () => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.stderr())?.[1]).catch(async (err) => {
  process.stderr.write(daemon.stderr());
  await stopAll();
  throw err;
});
const tokenFile = path.join(eState, 'zync.token');
say(`  listening on ws://127.0.0.1:${port}; token generated in ${path.relative(repo, tokenFile)}`);

say('Starting zync-client on R (continuous, sample → .demo/R/sample)…');
const client = start('client', [
  '--server', `ws://127.0.0.1:${port}`,
  '--db', path.join(rState, 'sync_client.db'),
  '--dirs', `sample:${rRoot}`,
  '--token-file', tokenFile,
]);
try {
  await until('the initial sync', () => existsSync(path.join(rRoot, 'notes', 'todo.md')));
  say(`  initial sync done: ${readdirSync(rRoot).join(', ')}`);

  const started = Date.now();
  const text = `Hello from E at ${new Date().toISOString()}\n`;
  writeFileSync(path.join(eRoot, 'hello-from-E.txt'), text);
  say('Wrote .demo/E/sample/hello-from-E.txt on E…');
  await until('hello-from-E.txt on R', () => {
    const target = path.join(rRoot, 'hello-from-E.txt');
    return existsSync(target) && readFileSync(target, 'utf8') === text;
  });
  say(`  ✔ it crossed over to .demo/R/sample/hello-from-E.txt in ${Date.now() - started} ms`);
} catch (err) {
  process.stderr.write(`demo failed: ${err.message}\n--- daemon ---\n${daemon.stderr()}\n--- client ---\n${client.stderr()}\n`);
  await stopAll();
  process.exit(1);
}

if (checkOnly) {
  await stopAll();
  say(`\nStopped both. The demo folders are in .demo/. ${WIPED_NEXT_TIME}`);
  process.exit(0);
}
say('\nBoth sides keep running. Edit, add or delete files under .demo/E/sample and watch .demo/R/sample follow.');
say('Logs of both processes follow below. Press Ctrl-C to stop.\n');
daemon.child.stderr.on('data', (d) => process.stdout.write(`[E] ${d}`));
client.child.stderr.on('data', (d) => process.stdout.write(`[R] ${d}`));
