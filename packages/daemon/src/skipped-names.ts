// Names on E that zync does not sync: not UTF-8 (see @zync/common file-names), holding a
// backslash or a control character, which cannot cross the wire safely, or making a path longer
// than the wire takes. Never logged as changes,
// and reported with one warning per name per daemon run — not again at every rescan or watcher
// event. Shared by the scanner (through reconcile) and the watcher. Owns the set of names
// already reported; decides nothing else.
import { escapeNameBytes, inertLine, listNonUtf8Names, type Logger } from '@zync/common';
import { absPath, unsyncableMessage } from './scanner.js';

export class SkippedNames {
  private readonly reported = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** Warns about a path that cannot cross the wire (and says why), unless already reported. */
  unsyncable(baseDir: string, rel: string): void {
    const key = `${baseDir}\u0000${rel}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    // The log prints values JSON-escaped, so the name is shown safely.
    this.log.warn({ base_dir: baseDir, path: rel }, unsyncableMessage(rel));
  }

  /** Warns about each name that has not been reported yet in this run. */
  report(baseDir: string, dir: string, names: readonly Buffer[]): void {
    for (const name of names) {
      const key = `${baseDir}\u0000${dir}\u0000${name.toString('hex')}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      const where = inertLine(dir === '' ? baseDir : `${baseDir}/${dir}`);
      this.log.warn({ base_dir: baseDir, dir }, `a name in ${where} is not UTF-8 and is not synced: ${escapeNameBytes(name)}`);
    }
  }

  /**
   * Lists the directory `dir` of a root as bytes, reports its names that are not UTF-8, and
   * returns its real names that hold U+FFFD (null when it cannot be listed).
   */
  check(baseDir: string, root: string, dir: string): ReadonlySet<string> | null {
    const listing = listNonUtf8Names(absPath(root, dir));
    if (listing === null) return null;
    this.report(baseDir, dir, listing.nonUtf8);
    return listing.literal;
  }
}
