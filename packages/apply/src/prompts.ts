// The only module that talks to the person at the terminal (inquirer). It asks what to do with
// one conflict, or whether to discard a session; it shows nothing else and decides nothing.
import { confirm, select } from '@inquirer/prompts';
import type { Decision } from './apply-plan.js';

export type ConflictAnswer = Decision | 'diff' | 'quit';

export interface ConflictQuestion {
  /** e.g. "docs/report.txt" */
  what: string;
  decisions: readonly Decision[];
  /** What each decision does to E (decisionLabels). */
  labels: Readonly<Record<Decision, string>>;
}

/** `stop`: a SIGTERM while the question waits ends it as a quit would (else it went unnoticed). */
export async function askConflict(q: ConflictQuestion, stop?: AbortSignal): Promise<ConflictAnswer> {
  try {
    return await select<ConflictAnswer>({
      message: `${q.what}: what should E keep?`,
      choices: [
        ...q.decisions.map((d) => ({ name: q.labels[d], value: d as ConflictAnswer })),
        { name: 'show the diff again', value: 'diff' as const },
        { name: 'quit (what was applied so far stays applied)', value: 'quit' as const },
      ],
    }, stop ? { signal: stop } : undefined);
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
