// What a running client says of files waiting for room on R's disk (room-waits.ts), from one pass
// to the next: each file that newly waits is named once (a second file that does not fit is not
// hidden behind the first warning), a wait E ended by removing the file is said as that (not as
// room come back), and "room again" only once nothing waits and some file did get its room. Pure.
import { entryKeyString, type EntryKey } from './types.js';

/** A wait that ended in a pass: the file arrived (`fetched`) or E removed it. */
export interface EndedWait extends EntryKey {
  removed: boolean;
}

export interface RoomNews<T extends EntryKey> {
  /** Waiting now and never said: to be named. */
  newly: T[];
  /** Waits E ended by removing the file. */
  removed: EndedWait[];
  /** Nothing waits any more after some did, and a file got its room: "room again" is true. */
  roomAgain: boolean;
  /** Nothing waits any more after some did. */
  noneWaits: boolean;
  /** The waiting files said, for the next pass. */
  said: Set<string>;
}

/**
 * `said`: the files said to wait before this pass; `waiting`: the files the pass met still
 * waiting; `ended`: the waits the pass ended; `clean`: the pass left nothing failed, so nothing
 * waits (a pass stopped by another failure before meeting a file says nothing of it).
 */
export function roomNews<T extends EntryKey>(said: ReadonlySet<string>, waiting: readonly T[], ended: readonly EndedWait[], clean: boolean): RoomNews<T> {
  const next = new Set(said);
  for (const wait of ended) next.delete(entryKeyString(wait));
  const newly: T[] = [];
  for (const file of waiting) {
    const key = entryKeyString(file);
    if (!next.has(key) && !newly.some((n) => entryKeyString(n) === key)) newly.push(file);
    next.add(key);
  }
  const removed = ended.filter((wait) => wait.removed && said.has(entryKeyString(wait)));
  const noneWaits = said.size > 0 && clean && waiting.length === 0;
  // Room is said to be back unless every file said to wait was removed by E instead.
  const allRemoved = [...said].every((key) => removed.some((wait) => entryKeyString(wait) === key));
  return { newly, removed, roomAgain: noneWaits && !allRemoved, noneWaits, said: clean && waiting.length === 0 ? new Set() : next };
}

/**
 * The refusal of an upload handed to a running client whose pull cannot end (`refusal`: its
 * RESYNC_REQUIRED message, which advises to wait for that pull) while files of `names` wait for
 * room: no pull will end until they fit, so the advice is to free space. null: none waits there.
 */
export function roomHandOffRefusal(refusal: string, names: readonly string[], waiting: readonly EntryKey[]): string | null {
  const blocking = waiting.filter((file) => names.includes(file.base_dir));
  if (blocking.length === 0) return null;
  const first = `${blocking[0]!.base_dir}/${blocking[0]!.path}`;
  const which = blocking.length === 1 ? first : `${first} and ${blocking.length - 1} other file(s)`;
  const what = refusal.replace(/[;,].*$/s, '');
  return `${what}, and the pull cannot end until R's disk has room for ${which}: free some space there (the running zync-client fetches ${blocking.length === 1 ? 'it' : 'them'} by itself), then run --update-upstream again. Nothing was sent.`;
}
