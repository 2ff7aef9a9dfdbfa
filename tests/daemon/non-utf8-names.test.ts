// Names on E that are not UTF-8 (README "zync-daemon": names that cannot cross the wire safely)
// are not synced, and the daemon says so: one warning per name per run, naming the directory and
// showing the name with its bad bytes as \xNN — at start-up and for names made while it runs,
// not again at each rescan or write. Before, they were skipped without a word, and a name made
// while the daemon ran kept its watcher looking at it in a loop. A name with a backslash (also
// not synced) is warned about once too, not again at every rescan; so is a name with a control
// character or a backslash made while the daemon runs (before: not until the next rescan).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

/** An absolute path whose last component is these bytes. */
const rawPath = (dir: string, ...name: (string | number[])[]) =>
  Buffer.concat([Buffer.from(`${dir}/`), ...name.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))]);

const unsyncableWarnings = (stderr: string) => stderr.split('\n').filter((line) => line.includes('name not syncable'));
// A record's fields follow its message on the same line, as one JSON object.
const warningsFor = (stderr: string, escaped: string) =>
  stderr.split('\n').filter((line) => line.includes('is not UTF-8') && line.replace(/ \{.*\}$/, '').endsWith(`: ${escaped}`));

/** CPU time (user + system) of a process so far, in clock ticks. */
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

describe('zync-daemon with names that are not UTF-8', () => {
  let root: string;
  let daemon: DaemonHandle;

  const loggedPaths = async () => {
    const client = await connect(daemon.url, daemon.token);
    try {
      return (await fetchLog(client)).map((e) => e.path);
    } finally {
      await client.close();
    }
  };

  beforeAll(async () => {
    root = tempDir('zync-e-');
    writeFileSync(path.join(root, 'ok.txt'), 'ok\n');
    writeFileSync(rawPath(root, 'caf', [0xe9], '.txt'), 'latin-1 name\n');
    mkdirSync(rawPath(root, 'd', [0xff]));
    writeFileSync(Buffer.concat([rawPath(root, 'd', [0xff]), Buffer.from('/inside.txt')]), 'below a bad name\n');
    mkdirSync(path.join(root, 'sub'));
    writeFileSync(path.join(root, 'caf\uFFFD-real.txt'), 'a real U+FFFD is UTF-8\n');
    writeFileSync(path.join(root, 'back\\slash.txt'), 'a backslash cannot cross the wire\n');
    daemon = await startDaemon({ dirs: { docs: root } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('warns once per name at start-up, naming the directory, and logs the rest', async () => {
    expect(warningsFor(daemon.stderr(), 'caf\\xe9.txt')).toEqual([expect.stringContaining('a name in docs is not UTF-8')]);
    expect(warningsFor(daemon.stderr(), 'd\\xff')).toHaveLength(1);
    expect(unsyncableWarnings(daemon.stderr())).toHaveLength(1);
    const paths = await loggedPaths();
    expect(paths.sort()).toEqual(['caf\uFFFD-real.txt', 'ok.txt', 'sub']);
  });

  it('warns once about a name made while it runs, however often it is written or the root rescanned', async () => {
    const bad = rawPath(path.join(root, 'sub'), 'na', [0xff], 'me');
    writeFileSync(bad, 'first\n');
    await waitFor(() => warningsFor(daemon.stderr(), 'na\\xffme').length > 0, { what: 'the warning about sub/na\\xffme' });
    expect(warningsFor(daemon.stderr(), 'na\\xffme')[0]).toContain('a name in docs/sub is not UTF-8');
    for (let i = 0; i < 20; i++) appendFileSync(bad, `write ${i}\n`);
    // A real U+FFFD (UTF-8) in a directory's name: what is made in it while the daemon runs is logged.
    mkdirSync(path.join(root, 'real\uFFFD'));
    writeFileSync(path.join(root, 'real\uFFFD/inside.txt'), 'inside\n');
    // A .zyncignore change rescans the whole root; a file written after it is logged after it.
    writeFileSync(path.join(root, '.zyncignore'), '*.tmp\n');
    await waitFor(() => daemon.stderr().includes('.zyncignore changed; rescanning the root'), { what: 'the rescan' });
    writeFileSync(path.join(root, 'sub/after.txt'), 'after\n');
    await waitFor(async () => (await loggedPaths()).includes('sub/after.txt'), { what: 'sub/after.txt in the log' });
    await waitFor(async () => (await loggedPaths()).includes('real\uFFFD/inside.txt'), { what: 'real\uFFFD/inside.txt in the log' });

    expect(warningsFor(daemon.stderr(), 'na\\xffme')).toHaveLength(1);
    expect(warningsFor(daemon.stderr(), 'caf\\xe9.txt')).toHaveLength(1);
    expect(warningsFor(daemon.stderr(), 'd\\xff')).toHaveLength(1);
    expect(unsyncableWarnings(daemon.stderr())).toHaveLength(1);
    expect((await loggedPaths()).filter((p) => p.includes('\uFFFD')).sort()).toEqual(['caf\uFFFD-real.txt', 'real\uFFFD', 'real\uFFFD/inside.txt']);
  });

  it('does not keep looking at such a name once it has warned', async () => {
    // A measurement over a window, not a wait for a condition: the loop this guards against
    // took about a quarter of a core; an idle daemon takes next to nothing.
    const start = cpuTicks(daemon.pid);
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const seconds = (Date.now() - startedAt) / 1000;
    expect((cpuTicks(daemon.pid) - start) / seconds).toBeLessThan(5); // ticks per second, of 100 (idle: ~1.5; the loop: ~12-28)
  });

  it('warns once about a name with a control character or a backslash made while it runs', async () => {
    // Before, only the next rescan (10 minutes) said why such a file never reached R.
    writeFileSync(path.join(root, 'sub/new\nline.txt'), 'a newline cannot cross the wire\n');
    writeFileSync(path.join(root, 'sub/back\\slash2.txt'), 'nor can a backslash\n');
    mkdirSync(path.join(root, 'tab\tdir'));
    for (let i = 0; i < 5; i++) writeFileSync(path.join(root, `tab\tdir/f${i}.txt`), `${i}\n`);
    // The log gives the path among the record's fields on the warning's line, a control character escaped.
    const warned = (shown: string) => daemon.stderr().includes(`"path":"${shown}"}\n`);
    await waitFor(() => warned('sub/new\\nline.txt') && warned('sub/back\\slash2.txt') && warned('tab\\tdir'), { what: 'the three warnings', timeoutMs: 10_000 });
    writeFileSync(path.join(root, 'sub/new\nline.txt'), 'written again\n');
    writeFileSync(path.join(root, 'sub/after2.txt'), 'after\n');
    await waitFor(async () => (await loggedPaths()).includes('sub/after2.txt'), { what: 'sub/after2.txt in the log' });
    // One each: the start-up one about back\slash.txt, and the directory named, not each file in it.
    expect(unsyncableWarnings(daemon.stderr())).toHaveLength(4);
    expect((await loggedPaths()).some((p) => p.includes('\n') || p.includes('\t') || p.includes('slash2'))).toBe(false);
  });
});
