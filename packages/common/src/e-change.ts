// What E did to a path since R's base, in the words both sides print for a conflict: the
// client's --update-upstream report ("conflict: docs/x (E deleted it)") and zync-apply's show
// and conflict prompt. Pure.
import type { EChange } from './protocol/messages.js';

const E_CHANGE_WORDS: Record<EChange, string> = {
  modified: 'E changed it too',
  deleted: 'E deleted it',
  added_file: 'E added a file there',
  added_dir: 'E made a directory there',
  replaced_with_dir: 'E replaced the file with a directory',
  replaced_with_file: 'E replaced the directory with a file',
};

/** `undefined`: a daemon too old to say (it only said "conflict"). */
export function describeEChange(change: EChange | null | undefined): string {
  return change ? E_CHANGE_WORDS[change] : 'E changed it too';
}
