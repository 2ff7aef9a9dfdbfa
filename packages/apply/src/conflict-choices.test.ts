import { describe, expect, it } from 'vitest';
import type { Decision } from './apply-plan.js';
import { conflictChoices } from './conflict-choices.js';

const labels: Record<Decision, string> = { upstream: 'take upstream', keep_e: "keep E's version", keep_both: 'keep both' };

describe('conflictChoices', () => {
  it.each<[string, Decision[], string[]]>([
    ['two files: every answer', ['upstream', 'keep_e', 'keep_both'], ['u', 'e', 'b', 'd', 'q']],
    ['E deleted it: no keep both', ['upstream', 'keep_e'], ['u', 'e', 'd', 'q']],
    ["E's directory holds files: keep E's only", ['keep_e'], ['e', 'd', 'q']],
  ])('%s, each with its own letter, and Enter keeps E’s version', (_why, decisions, keys) => {
    const { choices, defaultKey } = conflictChoices({ decisions, labels });
    expect(choices.map((c) => c.key)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(defaultKey).toBe('e');
    expect(choices.find((c) => c.key === defaultKey)?.value).toBe('keep_e');
  });

  it('maps each letter to its answer and label', () => {
    const { choices } = conflictChoices({ decisions: ['upstream', 'keep_e', 'keep_both'], labels });
    expect(choices).toEqual([
      { key: 'u', name: 'take upstream', value: 'upstream' },
      { key: 'e', name: "keep E's version", value: 'keep_e' },
      { key: 'b', name: 'keep both', value: 'keep_both' },
      { key: 'd', name: 'show the diff again', value: 'diff' },
      { key: 'q', name: 'quit (what was applied so far stays applied)', value: 'quit' },
    ]);
  });

  it('never takes a choice that writes into E by Enter alone, even where keep E’s is not offered', () => {
    expect(conflictChoices({ decisions: ['upstream'], labels }).defaultKey).toBe('q');
  });
});
