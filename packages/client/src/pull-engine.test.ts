import { describe, expect, it } from 'vitest';
import { addPasses, describePass, emptySummary } from './pull-engine.js';

describe('addPasses', () => {
  it('sums every count of routine passes, the files extended from R\'s copy among them', () => {
    const pass = { ...emptySummary(), downloaded: 1, extended: 1, bytes: 1024 };
    const sum = addPasses(addPasses(pass, pass), pass);
    expect(sum).toMatchObject({ downloaded: 3, extended: 3, bytes: 3072 });
    expect(describePass(sum, 3)).toContain("3 extended from R's copy");
  });
});
