import { describe, expect, it } from 'vitest';
import { describeEChange } from './e-change.js';
import { UpstreamFileResponse, type EChange } from './protocol/messages.js';

describe('describeEChange', () => {
  it.each<[EChange | undefined, string]>([
    ['modified', 'E changed it too'],
    ['deleted', 'E deleted it'],
    ['added_file', 'E added a file there'],
    ['added_dir', 'E made a directory there'],
    ['replaced_with_dir', 'E replaced the file with a directory'],
    ['replaced_with_file', 'E replaced the directory with a file'],
    [undefined, 'E changed it too'], // an older daemon does not say what E did
  ])('%s', (change, words) => {
    expect(describeEChange(change)).toBe(words);
  });
});

describe('UPSTREAM_FILE response', () => {
  it('carries what E did with a conflict, and still parses without it (an older daemon)', () => {
    const base = { id: 3, status: 'ok', staging_id: 'S', conflict: true };
    expect(UpstreamFileResponse.parse({ ...base, e_change: 'deleted' }).e_change).toBe('deleted');
    expect(UpstreamFileResponse.parse(base).e_change).toBeUndefined();
  });
});
