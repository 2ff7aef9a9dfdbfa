// The menu of one conflict: each answer with the letter that picks it, as merge tools do, and
// the one Enter takes. prompts.ts shows it; this decides it. Pure.
import type { ConflictAnswer, ConflictQuestion } from './prompts.js';

export type ChoiceKey = 'u' | 'e' | 'b' | 'd' | 'q';

export interface ConflictChoice {
  key: ChoiceKey;
  name: string;
  value: ConflictAnswer;
}

/** One letter per answer, the same for every conflict, so a hand learns them. */
const KEYS: Readonly<Record<ConflictAnswer, ChoiceKey>> = { upstream: 'u', keep_e: 'e', keep_both: 'b', diff: 'd', quit: 'q' };

export function conflictChoices(q: Pick<ConflictQuestion, 'decisions' | 'labels'>): { choices: ConflictChoice[]; defaultKey: ChoiceKey } {
  const choices: ConflictChoice[] = [
    ...q.decisions.map((d) => ({ key: KEYS[d], name: q.labels[d], value: d })),
    { key: KEYS.diff, name: 'show the diff again', value: 'diff' },
    { key: KEYS.quit, name: 'quit (what was applied so far stays applied)', value: 'quit' },
  ];
  // Enter alone keeps E's version: it writes nothing into E's tree, and R's content is not lost
  // (R still holds it, and its pull keeps a local edit as a conflict copy; a chmod of R's that
  // E's differs from takes E's bits with a line, as any pull does). Taking R's
  // replaces E's file and keeping both adds one to E's tree: each needs its own key. Every
  // conflict offers keep E's (decisionsFor); quit, which changes nothing either, stands in else.
  return { choices, defaultKey: q.decisions.includes('keep_e') ? KEYS.keep_e : KEYS.quit };
}
