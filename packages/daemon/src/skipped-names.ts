// Names on E that zync does not sync: not UTF-8 (see @zync/common file-names), holding a
// backslash or a control character, which cannot cross the wire safely, or making a path longer
// than the wire takes. Never logged as changes,
// and reported with one warning per name per daemon run — not again at every rescan or watcher
// event. Shared by the scanner (through reconcile) and the watcher. Owns the set of names
// already reported; decides nothing else. Symbolic links are not synced either: they are said
// in one info line per root with a count and examples (an npm tree holds hundreds), at the
// start-up scan, at a rescan that finds a different number, and per batch of watcher events
// that brings new ones.
import { describeLinks, escapeNameBytes, inertLine, listNonUtf8Names, type LinkTally, type Logger } from '@zync/common';
import { absPath, unsyncableMessage } from './scanner.js';

export class SkippedNames {
  private readonly reported = new Set<string>();
  /** Per root, how many links the last whole-root scan that said so found. */
  private readonly linksSaid = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  /** Warns about a path that cannot cross the wire (and says why), unless already reported. */
  unsyncable(baseDir: string, rel: string): void {
    const key = `${baseDir}\u0000${rel}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    // The log prints values JSON-escaped, so the name is shown safely.
    this.log.warn({ base_dir: baseDir, path: rel }, unsyncableMessage(rel));
  }

  /**
   * Says how many symbolic links a whole-root scan found, unless the last scan of that root
   * said the same number: a periodic rescan of an unchanged tree says nothing again.
   */
  linksInRoot(baseDir: string, links: LinkTally): void {
    if (this.linksSaid.get(baseDir) === links.count) return;
    this.linksSaid.set(baseDir, links.count);
    this.newLinks(baseDir, links);
  }

  /** Says how many symbolic links a batch of watcher events made (or touched) in a root. */
  newLinks(baseDir: string, links: LinkTally): void {
    if (links.count === 0) return;
    this.log.info({ base_dir: baseDir, links: links.count }, `${describeLinks(links)} not synced in "${baseDir}": zync syncs regular files and directories only`);
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
