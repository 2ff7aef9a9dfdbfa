// Directory permission bits are part of E's state: a directory's mode at start, a chmod while the
// daemon runs (seen by the watcher on the parent directory's watch) and a chmod while it was
// stopped (the start-up scan) each reach the log, as a modify of kind dir. An entry made in a
// directory moves its mtime and logs nothing for the directory.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, startDaemon, tempDir, waitFor, type DaemonHandle } from '../helpers/index.js';
import { fetchLog } from './daemon-helpers.js';

async function logOf(daemon: DaemonHandle): Promise<Awaited<ReturnType<typeof fetchLog>>> {
  const client = await connect(daemon.url, daemon.token);
  try {
    return await fetchLog(client);
  } finally {
    await client.close();
  }
}

const lastEntryFor = async (daemon: DaemonHandle, rel: string) => (await logOf(daemon)).filter((e) => e.path === rel).at(-1);

describe('zync-daemon and directory modes', () => {
  const started: DaemonHandle[] = [];
  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop();
  });

  it('logs a directory chmod made while it runs, at any depth, and nothing for a file made in it', async () => {
    const e = tempDir('zync-e-');
    await mkdir(path.join(e, 'priv/inner'), { recursive: true });
    await chmod(path.join(e, 'priv'), 0o700);
    await chmod(path.join(e, 'priv/inner'), 0o755);
    const daemon = await startDaemon({ dirs: { docs: e } });
    started.push(daemon);
    expect(await lastEntryFor(daemon, 'priv')).toMatchObject({ operation: 'add', kind: 'dir', mode: 0o700 });

    await chmod(path.join(e, 'priv'), 0o750);
    await waitFor(async () => (await lastEntryFor(daemon, 'priv'))?.mode === 0o750, { timeoutMs: 10_000, what: 'the chmod of priv in the log' });
    expect(await lastEntryFor(daemon, 'priv')).toMatchObject({ operation: 'modify', kind: 'dir' });

    await chmod(path.join(e, 'priv/inner'), 0o500);
    await waitFor(async () => (await lastEntryFor(daemon, 'priv/inner'))?.mode === 0o500, { timeoutMs: 10_000, what: 'the chmod of priv/inner in the log' });

    const before = (await logOf(daemon)).filter((x) => x.path === 'priv').length;
    await writeFile(path.join(e, 'priv/new.txt'), 'new\n');
    await waitFor(async () => (await lastEntryFor(daemon, 'priv/new.txt')) !== undefined, { timeoutMs: 10_000, what: 'priv/new.txt in the log' });
    expect((await logOf(daemon)).filter((x) => x.path === 'priv').length).toBe(before);
  });

  it('logs a directory chmod made while it was stopped, before it listens', async () => {
    const e = tempDir('zync-e-');
    const db = path.join(tempDir('zync-state-'), 'sync.db');
    await mkdir(path.join(e, 'shared'));
    await chmod(path.join(e, 'shared'), 0o755);
    const first = await startDaemon({ dirs: { docs: e }, db });
    expect(await first.stop('SIGTERM')).toBe(0);

    await chmod(path.join(e, 'shared'), 0o700);
    const second = await startDaemon({ dirs: { docs: e }, db });
    started.push(second);
    expect(await lastEntryFor(second, 'shared')).toMatchObject({ operation: 'modify', kind: 'dir', mode: 0o700 });
  });
});
