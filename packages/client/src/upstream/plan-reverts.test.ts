import { describe, expect, it } from 'vitest';
import { revertOf, type LocalNow, type UndoneInput } from './plan-reverts.js';
import type { StagedRecord } from './plan-upstream.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

const record = (over: Partial<StagedRecord>): StagedRecord => ({
  base_dir: 'd',
  path: 'p',
  staging_id: 's1',
  kind: 'file',
  operation: 'modify',
  checksum: B,
  base_checksum: A,
  mode: 0o644,
  ...over,
});
const file = (checksum: string, mode = 0o644): LocalNow => ({ kind: 'file', checksum, mode, size: 5, mtime: 1000 });
const gotFile = (checksum: string, mode = 0o644) => ({ kind: 'file' as const, checksum, mode });
const gotDir = { kind: 'dir' as const, checksum: null, mode: 0o755 };

describe('revertOf', () => {
  it.each<[string, UndoneInput, Record<string, unknown> | null]>([
    [
      'a file R made, staged and removed: its deletion goes',
      { record: record({ operation: 'add', base_checksum: null }), received: null, local: { kind: 'absent' } },
      { kind: 'file', operation: 'delete', checksum: null, base_checksum: null },
    ],
    [
      'an edit put back to the received content: that content goes, from its base',
      { record: record({}), received: gotFile(A), local: file(A) },
      { kind: 'file', operation: 'modify', checksum: A, base_checksum: A, mode: 0o644, base_mode: 0o644 },
    ],
    [
      'a chmod undone: the received bits go',
      { record: record({ checksum: A, mode: 0o755 }), received: gotFile(A), local: file(A) },
      { kind: 'file', operation: 'modify', checksum: A, mode: 0o644 },
    ],
    [
      'a deletion undone by putting the received file back',
      { record: record({ operation: 'delete', checksum: null, mode: null }), received: gotFile(A), local: file(A) },
      { kind: 'file', operation: 'modify', checksum: A, base_checksum: A },
    ],
    [
      'a directory R made and removed: its removal goes',
      { record: record({ kind: 'dir', operation: 'add', checksum: null, base_checksum: null, mode: 0o755 }), received: null, local: { kind: 'absent' } },
      { kind: 'dir', operation: 'delete', base_checksum: null },
    ],
    [
      'a received directory removed and made again: its add goes',
      { record: record({ kind: 'dir', operation: 'delete', checksum: null, base_checksum: null, mode: null }), received: gotDir, local: { kind: 'dir', mode: 0o750 } },
      { kind: 'dir', operation: 'add', mode: 0o750 },
    ],
    ['applied on E and pulled: R received what it sent', { record: record({}), received: gotFile(B), local: file(B) }, null],
    ['an add applied and pulled', { record: record({ operation: 'add', base_checksum: null }), received: gotFile(B), local: file(B) }, null],
    ['R holds other content than it received (planUpstream sends that)', { record: record({}), received: gotFile(A), local: file(C) }, null],
    ['R received E\'s other content since (E\'s change pulled over R\'s edit): E decides', { record: record({}), received: gotFile(C), local: file(C) }, null],
    ['R\'s disk could not be looked at', { record: record({ operation: 'add', base_checksum: null }), received: null, local: { kind: 'unknown' } }, null],
    ['a file R made still there unchanged (planUpstream finds it)', { record: record({ operation: 'add', base_checksum: null }), received: null, local: file(B) }, null],
  ])('%s', (_name, input, expected) => {
    const entry = revertOf(input);
    if (expected === null) expect(entry).toBeNull();
    else expect(entry).toMatchObject({ base_dir: 'd', path: 'p', ...expected });
  });
});
