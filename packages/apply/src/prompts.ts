// The only module that talks to the person at the terminal (inquirer). It asks what to do with
// one conflict; it shows nothing else and decides nothing.
import { select } from '@inquirer/prompts';
import type { Decision } from './apply-plan.js';

export type ConflictAnswer = Decision | 'diff' | 'quit';

export interface ConflictQuestion {
  /** e.g. "docs/report.txt" */
  what: string;
  operation: 'add' | 'modify' | 'delete';
  decisions: readonly Decision[];
}

export async function askConflict(q: ConflictQuestion): Promise<ConflictAnswer> {
  const label: Record<Decision, string> = {
    upstream:
      q.operation === 'delete'
        ? "take upstream: delete E's file (it is backed up)"
        : "take upstream: R's version replaces E's (E's is backed up)",
    keep_e: "keep E's version",
    keep_both: "keep both: E's stays, R's is written beside it as a conflict copy",
  };
  try {
    return await select<ConflictAnswer>({
      message: `${q.what}: what should E keep?`,
      choices: [
        ...q.decisions.map((d) => ({ name: label[d], value: d as ConflictAnswer })),
        { name: 'show the diff again', value: 'diff' as const },
        { name: 'quit (what was applied so far stays applied)', value: 'quit' as const },
      ],
    });
  } catch (err) {
    // Ctrl-C / Ctrl-D at the prompt: stop like "quit".
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) return 'quit';
    throw err;
  }
}
