// Moves on E whose deletion and add fall in different pages of E's log (GET_CHANGES pages of 5,000
// entries; E logs a batch's deletions before its adds, so a large `mv` spans pages). The page with
// the deletion cannot tell a move (plan-pull.ts noteMoves pairs within a page), so the conflict
// line for R's edit there says "deleted or moved"; a later page of the same pass that adds the
// content R had received there, at one path, says where it went. Remembered for one pass, at most
// MAX_AWAITING deletions (memory stays bounded; one beyond is left as "deleted or moved"). Words
// only: what was done (a deletion, R's edit kept as a conflict copy) stays as it was. Pure.
import type { ChangeEntry } from '@zync/common';
import type { EntryKey } from './types.js';

/** A deletion reported with a conflict copy, not paired with an add in its own page. */
export interface AwaitingMove extends EntryKey {
  /** Where R's version was kept (relative to the root). */
  copy: string;
  /** The content R had received at the path (non-empty). */
  content: string;
}

export const MAX_AWAITING = 10_000;

export class LateMoves {
  private readonly awaiting = new Map<string, AwaitingMove[]>();
  private count = 0;

  remember(deletions: readonly AwaitingMove[]): void {
    for (const deletion of deletions) {
      if (this.count >= MAX_AWAITING) return;
      this.awaiting.set(deletion.content, [...(this.awaiting.get(deletion.content) ?? []), deletion]);
      this.count++;
    }
  }

  /**
   * The remembered deletions `page` (a later page's entries) completes as moves: content R had
   * received at one deleted path, added at exactly one path of the page (another path than the
   * deleted one). Each is said once, then forgotten.
   */
  complete(page: readonly ChangeEntry[]): { from: AwaitingMove; to: EntryKey }[] {
    if (this.count === 0) return [];
    const adds = new Map<string, ChangeEntry[]>();
    for (const entry of page) {
      if (entry.kind !== 'file' || entry.operation === 'delete' || entry.checksum === null || !this.awaiting.has(entry.checksum)) continue;
      adds.set(entry.checksum, [...(adds.get(entry.checksum) ?? []), entry]);
    }
    const moves: { from: AwaitingMove; to: EntryKey }[] = [];
    for (const [content, added] of adds) {
      const from = this.awaiting.get(content)!;
      const to = added[0]!;
      if (added.length !== 1 || from.length !== 1 || (to.base_dir === from[0]!.base_dir && to.path === from[0]!.path)) continue;
      moves.push({ from: from[0]!, to: { base_dir: to.base_dir, path: to.path } });
      this.awaiting.delete(content);
      this.count--;
    }
    return moves;
  }
}
