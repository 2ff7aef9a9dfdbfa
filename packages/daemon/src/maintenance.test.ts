import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@zync/common';
import { maintenanceSchedule, startMaintenance, type Maintenance } from './maintenance.js';
import { DaemonStore } from './store/daemon-store.js';
import { StagingStore } from './upstream/staging-store.js';

const DAY = 24 * 3600_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'zync-maintenance-'));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const store = DaemonStore.open(path.join(stateDir, 'sync.db'));
  cleanups.push(() => store.close());
  return { stateDir, store };
}

function start(options: Parameters<typeof startMaintenance>[0]): Maintenance {
  const m = startMaintenance(options);
  cleanups.push(() => m.close());
  return m;
}

const put = (p: string, n: number) => ({ operation: 'add' as const, kind: 'file' as const, base_dir: 'd', path: p, checksum: n.toString(16).padStart(64, '0'), size: n, mtime: n, mode: 0o644, ino: 1 });

describe('maintenanceSchedule', () => {
  it.each([
    { name: 'the defaults', flags: { compactIntervalMinutes: 60, tombstoneDays: 7, retentionDays: 30 }, ms: [3600_000, 7 * DAY, 30 * DAY] },
    { name: 'fractions (a fast schedule for tests)', flags: { compactIntervalMinutes: 0.01, tombstoneDays: 0, retentionDays: 0.5 }, ms: [600, 0, DAY / 2] },
  ])('$name', ({ flags, ms }) => {
    const s = maintenanceSchedule(flags);
    expect([s.intervalMs, s.tombstoneMs, s.retentionMs]).toEqual(ms);
  });

  it.each([
    { flag: 'compact-interval', flags: { compactIntervalMinutes: -1, tombstoneDays: 7, retentionDays: 30 } },
    { flag: 'tombstone-days', flags: { compactIntervalMinutes: 1, tombstoneDays: Number.NaN, retentionDays: 30 } },
    { flag: 'retention-days', flags: { compactIntervalMinutes: 1, tombstoneDays: 7, retentionDays: Infinity } },
  ])('refuses a bad --$flag', ({ flag, flags }) => {
    expect(() => maintenanceSchedule(flags)).toThrow(new RegExp(`--${flag} must be a number of at least 0`));
  });
});

describe('startMaintenance', () => {
  it('runs at start-up when the log grew, compacts, and removes expired upstream leftovers only', async () => {
    const { stateDir, store } = setup();
    store.applyChanges([put('a', 1), put('a', 2), put('a', 3)]);
    const staging = new StagingStore(store.db);
    const old = Date.now() - 40 * DAY;
    for (const [id, status] of [['applied-old', 'applied'], ['complete-old', 'complete'], ['applied-new', 'applied']] as const) {
      staging.createSession({ staging_id: id, client_id: 'r', file_count: 0, now: id.endsWith('old') ? old : Date.now() });
      staging.completeSession(id, id.endsWith('old') ? old : Date.now());
      if (status === 'applied') staging.markSessionApplied(id, id.endsWith('old') ? old : Date.now());
      for (const root of ['zync-staging', 'zync-backups']) {
        mkdirSync(path.join(stateDir, root, id, 'docs'), { recursive: true });
        writeFileSync(path.join(stateDir, root, id, 'docs', 'f'), 'x');
      }
    }
    mkdirSync(path.join(stateDir, 'zync-backups', 'orphan'));
    utimesSync(path.join(stateDir, 'zync-backups', 'orphan'), old / 1000, old / 1000);

    const lines: string[] = [];
    const note = (...args: unknown[]) => void lines.push(String(args[args.length - 1]));
    const log = { info: note, warn: note, error: note, debug: () => undefined } as unknown as Logger;
    const m = start({ store, stateDir, log, intervalMs: 3600_000, tombstoneMs: 7 * DAY, retentionMs: 30 * DAY, startupGrowth: 3 });
    const report = await m.runNow();
    expect(report).toMatchObject({ dropped: 2, entriesAfter: 1 });
    const left = (root: string) => ['applied-old', 'complete-old', 'applied-new', 'orphan'].filter((id) => existsSync(path.join(stateDir, root, id)));
    expect(left('zync-staging')).toEqual(['complete-old', 'applied-new']);
    // 'orphan' has no row here: another database's in this state directory, never removed.
    expect(left('zync-backups')).toEqual(['complete-old', 'applied-new', 'orphan']);
    expect(lines.join('')).toMatch(/compaction: dropped 2 log entries/);
    expect(lines.join('')).toMatch(/retention: removed 2 expired upstream directories/);
  });

  it('an interval of 0 schedules nothing, and close() waits for a running pass', async () => {
    const { stateDir, store } = setup();
    store.applyChanges([put('a', 1), put('a', 2)]);
    const m = start({ store, stateDir, log: createLogger('test', 'silent'), intervalMs: 0, tombstoneMs: 0, retentionMs: DAY, startupGrowth: 1 });
    expect(store.changeCount()).toBe(2);
    const pass = m.runNow();
    await m.close();
    expect(await pass).not.toBeNull();
    expect(await m.runNow()).toBeNull();
  });
});
