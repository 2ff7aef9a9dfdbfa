// Which roots zync-apply works in: the mapping the daemon recorded in the database (meta 'dirs'),
// checked against --dirs when given (each NAME:PATH must name the same root). Pure: the caller
// resolves paths on disk (realpath) first.
import { ZyncError, type DirSpec } from '@zync/common';

export function reconcileDirs(recorded: readonly DirSpec[], given: readonly DirSpec[] | null): DirSpec[] {
  if (given === null) {
    if (recorded.length === 0) {
      throw new ZyncError('BAD_ARGUMENT', 'The database records no directories (has zync-daemon run with it?); pass --dirs NAME:PATH.');
    }
    return [...recorded];
  }
  if (recorded.length === 0) return [...given];
  const byName = new Map(recorded.map((d) => [d.name, d.root]));
  for (const d of given) {
    const root = byName.get(d.name);
    if (root === undefined) {
      throw new ZyncError(
        'BAD_ARGUMENT',
        `--dirs names "${d.name}", which the daemon does not serve (it serves ${recorded.map((r) => `${r.name}:${r.root}`).join(', ')}).`,
      );
    }
    if (root !== d.root) {
      throw new ZyncError('BAD_ARGUMENT', `--dirs gives ${d.name}:${d.root}, but the daemon serves ${d.name} from ${root}.`);
    }
  }
  return [...recorded];
}
