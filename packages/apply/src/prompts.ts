// The only module that talks to the person at the terminal (inquirer). It asks what to do with
// one conflict, or whether to discard a session; it shows nothing else and decides nothing.
import { confirm, expand } from '@inquirer/prompts';
import type { Decision } from './apply-plan.js';
import { conflictChoices } from './conflict-choices.js';

export type ConflictAnswer = Decision | 'diff' | 'quit';

export interface ConflictQuestion {
  /** e.g. "docs/report.txt" */
  what: string;
  decisions: readonly Decision[];
  /** What each decision does to E (decisionLabels). */
  labels: Readonly<Record<Decision, string>>;
}

/**
 * A letter and Enter picks an answer; Enter alone takes the safe default (conflictChoices).
 * `stop`: a SIGTERM while the question waits ends it as a quit would (else it went unnoticed).
 */
export async function askConflict(q: ConflictQuestion, stop?: AbortSignal): Promise<ConflictAnswer> {
  const { choices, defaultKey } = conflictChoices(q);
  try {
    // Expanded: what each answer does to E must be read before it is chosen.
    return await expand<ConflictAnswer>(
      { message: `${q.what}: what should E keep? (a letter, then Enter; Enter alone: ${defaultKey})`, choices, default: defaultKey, expanded: true },
      stop ? { signal: stop } : undefined,
    );
  } catch (err) {
    // Ctrl-C / Ctrl-D at the prompt: stop like "quit".
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) return 'quit';
    throw err;
  }
}

/** Yes or no, no by default; Ctrl-C / Ctrl-D at the prompt is a no. */
export async function askYesNo(message: string): Promise<boolean> {
  try {
    return await confirm({ message, default: false });
  } catch (err) {
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) return false;
    throw err;
  }
}
