// Finds R's local changes for --update-upstream one directory at a time: walks each root
// (walkLocalRoot), compares every listing with what R received for that directory only
// (ClientStore.childEntries), and the recorded subtree of a received directory missing from its
// parent's listing, a page at a time, as gone (ClientStore.entryPagesBelow); compareDirectory
// decides. Memory: one listing with its recorded children, or one page, plus what changed —
// never the tree, never every received entry. Roots that cannot be the ones R synced are refused
// (checkRoots) from their own listings, before anything is compared or reported. Logs the names
// and directories it leaves out.
import { escapeNameBytes, inertLine, loadIgnoreMatcher, newLinkTally, noteLink, type DirSpec, type IgnoreMatcher, type LinkTally, type Logger } from '@zync/common';
import { keepsPermissionBits } from '../root-modes.js';
import type { ClientStore } from '../store/client-store.js';
import { checkRoots, compareDirectory, fileKey, hollowDirs, type FoundChanges, type NewDirListing } from './plan-upstream.js';
import { walkLocalRoot, type LocalListing } from './scan-local.js';

export interface LocalChanges extends FoundChanges {
  /** Local files looked at (for the log). */
  files: number;
  /** Symbolic links under the roots (not ignored), which are not sent: said once per run. */
  links: LinkTally;
}

const NOTHING_LISTED = { files: [], dirs: [] } as const;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How far a scan has come (for a progress display): files looked at, those that may have changed. */
export interface ScanCounts {
  files: number;
  suspects: number;
}

/** `scanned` is kept current as the scan goes. */
export async function findLocalChanges(store: ClientStore, dirs: readonly DirSpec[], log: Logger, scanned?: ScanCounts): Promise<LocalChanges> {
  const found: LocalChanges = { toHash: [], deleted: [], dirs: { added: [], removed: [], replacedByFile: [] }, received: [], files: 0, links: newLinkTally() };
  // push one at a time, not push(...): one directory may hold more than a call takes arguments.
  const keep = (c: FoundChanges) => {
    for (const f of c.toHash) found.toHash.push(f);
    for (const f of c.deleted) found.deleted.push(f);
    for (const d of c.dirs.added) found.dirs.added.push(d);
    for (const d of c.dirs.removed) found.dirs.removed.push(d);
    for (const d of c.dirs.replacedByFile) found.dirs.replacedByFile.push(d);
    for (const f of c.received) found.received.push(f);
  };

  // Each root's own listing first, for every root: a wrong or emptied root is refused before
  // anything of any root is compared or reported. An empty top level is an empty root.
  const walks: { dir: DirSpec; matcher: IgnoreMatcher; walk: AsyncGenerator<LocalListing>; top: LocalListing }[] = [];
  for (const dir of dirs) {
    const matcher = await loadIgnoreMatcher(dir.root);
    const walk = walkLocalRoot(dir, matcher);
    const top = (await walk.next()).value;
    if (!top) throw new Error(`no listing of ${dir.root}`); // walkLocalRoot always yields the root first
    walks.push({ dir, matcher, walk, top });
  }
  const refused = checkRoots(
    walks.map(({ dir, top }) => ({
      name: dir.name,
      root: dir.root,
      bound: store.boundRoot(dir.name),
      localEntries: top.files.length + top.dirs.length,
      unreadable: top.unreadable,
      receivedFiles: store.receivedFileCount(dir.name),
    })),
  );
  if (refused) throw refused;

  // The directories R made, as listed: one holding only left-out names is not sent (hollowDirs).
  // As many as found.dirs.added holds anyway.
  const newDirs = new Map<string, NewDirListing>();
  const added = new Set<string>();
  for (const { dir, matcher, walk, top } of walks) {
    const isIgnored = (_baseDir: string, path: string, isDir: boolean) => matcher(path, isDir);
    // Only where some file's own bits are not known (recorded by an older zync) does it matter.
    const keepsModes = store.hasUnknownLocalModes(dir.name) ? await keepsPermissionBits(dir.root) : true;
    const compare = async (listing: LocalListing) => {
      report(dir, listing, log);
      const key = fileKey(dir.name, listing.dir);
      if (added.has(key)) {
        newDirs.set(key, {
          files: listing.files.length,
          ignored: listing.ignored,
          unreadable: listing.unreadable !== null,
          subdirs: listing.dirs.map((d) => fileKey(d.base_dir, d.path)),
        });
      }
      for (const link of listing.links) noteLink(found.links, `${link.base_dir}/${link.path}`);
      // Below a directory that could not be read, nothing is known: not deleted, not sent.
      if (listing.unreadable !== null) return;
      found.files += listing.files.length;
      const compared = compareDirectory(listing, store.childEntries(dir.name, listing.dir), isIgnored, keepsModes);
      keep(compared);
      for (const d of compared.dirs.added) added.add(fileKey(d.base_dir, d.path));
      for (const gone of compared.gone) {
        for (const page of store.entryPagesBelow(dir.name, gone.path)) {
          keep(compareDirectory(NOTHING_LISTED, page, isIgnored));
          // A removed subtree of 300k received files took 3.5 s in one go: long enough for the
          // daemon to drop the connection --update-upstream holds open meanwhile (heartbeat.ts).
          await yieldToEventLoop();
        }
      }
      if (scanned) {
        scanned.files = found.files;
        scanned.suspects = found.toHash.length;
      }
    };
    await compare(top);
    for await (const listing of walk) await compare(listing);
  }
  const hollow = hollowDirs(newDirs);
  if (hollow.size > 0) found.dirs.added = found.dirs.added.filter((d) => !hollow.has(fileKey(d.base_dir, d.path)));
  return found;
}

/** Warns of what a listing left out: names that cannot cross the wire, a directory not readable. */
function report(dir: DirSpec, listing: LocalListing, log: Logger): void {
  for (const entry of listing.unsendable) {
    log.warn(`${inertLine(`${entry.base_dir}/${entry.path}`)}: not sent upstream (a name with a backslash or a control character, which zync does not sync)`);
  }
  const where = inertLine(listing.dir === '' ? dir.name : `${dir.name}/${listing.dir}`);
  for (const name of listing.nonUtf8) {
    log.warn(`${where}/${escapeNameBytes(name)}: not sent upstream (a name that is not UTF-8, which zync does not sync)`);
  }
  if (listing.unreadable !== null) {
    log.warn({ code: listing.unreadable }, `cannot read ${inertLine(`${dir.name}/${listing.dir}`)}: nothing below it is sent upstream`);
  }
}
