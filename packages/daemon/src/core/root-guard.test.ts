import { describe, expect, it } from 'vitest';
import { checkRoot, EMPTIED_ROOT_THRESHOLD } from './root-guard.js';

const base = { base_dir: 'docs', root: '/srv/docs' };

describe('checkRoot', () => {
  it.each([
    { name: 'a present root with entries is fine', rootPresent: true, scannedEntries: 10, recordedLive: 10, status: 'ok' },
    { name: 'a present root in a fresh log is fine', rootPresent: true, scannedEntries: 0, recordedLive: 0, status: 'ok' },
    { name: 'a small tree may be emptied', rootPresent: true, scannedEntries: 0, recordedLive: EMPTIED_ROOT_THRESHOLD - 1, status: 'ok' },
    { name: 'a root suddenly empty with many entries logged looks unmounted', rootPresent: true, scannedEntries: 0, recordedLive: 5000, status: 'emptied' },
    { name: 'one file left is a real (partial) deletion', rootPresent: true, scannedEntries: 1, recordedLive: 5000, status: 'ok' },
    { name: 'a vanished root is held whatever the counts', rootPresent: false, scannedEntries: null, recordedLive: 3, status: 'vanished' },
    { name: 'watcher deletions in a present root are fine', rootPresent: true, scannedEntries: null, recordedLive: 5000, status: 'ok' },
  ])('$name', ({ rootPresent, scannedEntries, recordedLive, status }) => {
    const verdict = checkRoot({ ...base, rootPresent, scannedEntries, recordedLive });
    expect(verdict.status).toBe(status);
    if (verdict.status !== 'ok') expect(verdict.reason).toContain('/srv/docs');
  });
});
