import { describe, expect, it } from 'vitest';
import { planRetention } from './retention.js';
import type { SessionStatus } from './staging-store.js';

const DAY = 24 * 3600_000;
const NOW = 100 * DAY;
const RETENTION = 30 * DAY;
const OLD = NOW - 31 * DAY;
const YOUNG = NOW - 29 * DAY;

interface Case {
  name: string;
  status: SessionStatus | null;
  updated?: number;
  mtime: number;
  removed: boolean;
}

const cases: Case[] = [
  { name: 'an applied session older than the retention goes', status: 'applied', updated: OLD, mtime: OLD, removed: true },
  { name: 'an applied session younger than the retention stays', status: 'applied', updated: YOUNG, mtime: OLD, removed: false },
  { name: 'an aborted session older than the retention goes', status: 'aborted', updated: OLD, mtime: YOUNG, removed: true },
  { name: 'a complete session waiting to be applied stays, however old', status: 'complete', updated: OLD - 365 * DAY, mtime: OLD, removed: false },
  { name: 'a session still arriving stays, however old', status: 'in_progress', updated: OLD, mtime: OLD, removed: false },
  { name: 'a directory this database has no row for stays, however old (another database in the state directory)', status: null, mtime: OLD, removed: false },
  { name: 'a young directory with no row stays', status: null, mtime: YOUNG, removed: false },
];

describe('planRetention', () => {
  it.each(cases)('$name', ({ status, updated, mtime, removed }) => {
    const sessions = new Map(status ? [['s1', { status, updated: updated ?? mtime }]] : []);
    const dir = { name: 's1', mtime };
    const plan = planRetention({ staging: [dir], backups: [dir], sessions, now: NOW, retentionMs: RETENTION });
    expect(plan).toEqual(removed ? { staging: ['s1'], backups: ['s1'] } : { staging: [], backups: [] });
  });
});
