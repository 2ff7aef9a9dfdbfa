import { describe, expect, it } from 'vitest';
import { handOffFailure, type HandOffFailure } from './hand-off-outcome.js';

const running = 'The running zync-client (pid 42)';

describe('handOffFailure', () => {
  it.each<[string, { code: Parameters<typeof handOffFailure>[0]['code']; error: string }, HandOffFailure]>([
    ["the service's refusal, as it said it", { code: 'BAD_ARGUMENT', error: '--dirs differs.' }, { code: 'BAD_ARGUMENT', message: '--dirs differs.' }],
    ['an unexpected error, with its stack', { code: null, error: 'Error: boom\n    at x' }, { code: null, stack: 'Error: boom\n    at x' }],
    [
      'a request the service does not know: an older service, to restart',
      { code: 'UNKNOWN_OPERATION', error: 'Unknown operation "STATUS".' },
      {
        code: 'INCOMPATIBLE_PROTOCOL',
        message:
          'The running zync-client (pid 42) runs an older zync, which does not know what this command asks of it (a service not restarted after an upgrade); restart it (the service) with the same zync as this command, then run --update-upstream again.',
      },
    ],
  ])('%s', (_why, done, expected) => {
    expect(handOffFailure({ operation: 'DONE', status: 'error', ...done }, running)).toEqual(expected);
  });
});
