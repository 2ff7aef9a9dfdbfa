// Symbolic links are never synced (only regular files and directories travel), but a user whose
// `node_modules/.bin` arrives empty must be told so. Both sides count the links a walk passes
// and say so in one line with a few examples, never one line per link. Pure: no I/O.
import { inertLine } from './terminal-text.js';

/** How many example paths one line names. */
const EXAMPLES = 3;

/** The links one walk (or one batch of watcher events) came across. */
export interface LinkTally {
  count: number;
  /** The first few, for the message. */
  examples: string[];
}

export function newLinkTally(): LinkTally {
  return { count: 0, examples: [] };
}

export function noteLink(tally: LinkTally, path: string): void {
  tally.count++;
  if (tally.examples.length < EXAMPLES) tally.examples.push(path);
}

/**
 * "3 symbolic links (a, b, c, …) are": the start of a sentence naming a tally's count and examples,
 * with the verb agreeing. Names are made inert: a link's name is R's or E's user's, not ours.
 */
export function describeLinks(tally: LinkTally): string {
  const more = tally.count > tally.examples.length ? ', …' : '';
  const names = `${tally.examples.map(inertLine).join(', ')}${more}`;
  return tally.count === 1 ? `1 symbolic link (${names}) is` : `${tally.count} symbolic links (${names}) are`;
}
