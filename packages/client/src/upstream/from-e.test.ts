import { describe, expect, it } from 'vitest';
import { MIN_FROM_E_BYTES, offersFromE } from './from-e.js';

const held = 'a'.repeat(64);
const other = 'b'.repeat(64);
const received = new Set([held]);
const file = { kind: 'file' as const, operation: 'add' as const, checksum: held, size: 20 * 1024 * 1024 };

describe('offersFromE', () => {
  const rows: { description: string; entry: Parameters<typeof offersFromE>[0]; daemonTakesIt?: boolean; offers: boolean }[] = [
    { description: 'a large file whose content E holds (received from E, or staged there: a rename on R)', entry: file, offers: true },
    { description: 'a modify to content R received elsewhere (a copy over a file)', entry: { ...file, operation: 'modify' }, offers: true },
    { description: 'exactly the threshold', entry: { ...file, size: MIN_FROM_E_BYTES }, offers: true },
    { description: 'to a daemon too old to take from_e', entry: file, daemonTakesIt: false, offers: false },
    { description: 'content E holds neither live nor staged (made on R): its bytes go at once', entry: { ...file, checksum: other }, offers: false },
    { description: 'a small file: sending costs less than asking', entry: { ...file, size: MIN_FROM_E_BYTES - 1 }, offers: false },
    { description: 'an empty file', entry: { ...file, size: 0 }, offers: false },
    { description: 'a deletion', entry: { ...file, operation: 'delete', checksum: null, size: 0 }, offers: false },
    { description: 'a directory', entry: { kind: 'dir', operation: 'add', checksum: null, size: 0 }, offers: false },
  ];
  for (const row of rows) {
    it(row.description, () => {
      expect(offersFromE(row.entry, received, row.daemonTakesIt ?? true)).toBe(row.offers);
    });
  }
});
