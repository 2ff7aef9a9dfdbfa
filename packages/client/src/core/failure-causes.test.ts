import { describe, expect, it } from 'vitest';
import { failureCause, failureReasons, isRoutineRetry, type Failure } from './failure-causes.js';

const onE: Failure = { code: 'FILE_CHANGED', message: 'docs/a.o changed while it was being read (size); retry later.' };
const grew: Failure = { code: 'FILE_CHANGED', message: 'docs/a.o grew on E since it was logged; retried with its newer state.' };
const onR: Failure = { code: 'FILE_CHANGED', message: 'docs/a.txt changed on R meanwhile.', onR: true };
const dirOnR: Failure = { code: 'FILE_CHANGED', message: 'docs/d is no longer a directory on R.', onR: true };
// A path name that echoes R's words: E's change all the same.
const onEOfNamedPath: Failure = { code: 'FILE_CHANGED', message: 'docs/notes on R.txt changed while it was being read (size); retry later.' };
const onEOfOtherNamedPath: Failure = { code: 'FILE_CHANGED', message: 'docs/what R received.md cannot be read right now (EIO); retry later.' };
const mismatch: Failure = { code: 'CHECKSUM_MISMATCH', message: 'Content for docs/a.o does not match its checksum.' };
const denied: Failure = { code: 'PERMISSION_DENIED', message: 'Permission denied writing docs/x.' };

describe('failureCause', () => {
  it.each<[string, Failure, string]>([
    ["E's daemon saw the file written while it read it", onE, 'changed-on-e'],
    ['the file grew on E past what one GET_FILES answer carries', grew, 'changed-on-e'],
    ['R changed the path under the write', onR, 'changed-on-r'],
    ['R put something else where its directory was', dirOnR, 'changed-on-r'],
    ["E's change of a path whose name says \"on R\"", onEOfNamedPath, 'changed-on-e'],
    ["E's change of a path whose name says \"what R received\"", onEOfOtherNamedPath, 'changed-on-e'],
    ['the content did not hash to E\'s checksum', mismatch, 'checksum'],
    ['anything else', denied, 'other'],
  ])('%s', (_why, failure, cause) => {
    expect(failureCause(failure)).toBe(cause);
  });
});

describe('failureReasons', () => {
  it.each<[string, Failure[], string]>([
    ['one reason: said without a count', [onE, grew, onE], 'changed on E while being downloaded'],
    ['several: each counted, the most common first', [onR, onE, onE, denied], '2 changed on E while being downloaded, 1 changed on R while being applied, 1 failed (PERMISSION_DENIED)'],
    ['a checksum mismatch', [mismatch], "arrived not matching E's checksum"],
  ])('%s', (_why, failures, words) => {
    expect(failureReasons(failures)).toBe(words);
  });
});

describe('isRoutineRetry', () => {
  it.each<[string, Failure[], boolean]>([
    ["only E's files rewritten under their download", [onE, grew], true],
    ['one changed on R too', [onE, onR], false],
    ['a streamed file that did not hash to E\'s checksum (E rewrote it under the stream)', [onE, mismatch], true],
    ['a failure of another kind', [onE, denied], false],
    ['nothing failed', [], false],
  ])('%s', (_why, failures, routine) => {
    expect(isRoutineRetry(failures)).toBe(routine);
  });
});
