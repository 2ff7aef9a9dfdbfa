// The chokidar watcher the daemon runs per root: chokidar's own, with the gaps it leaves for zync
// closed (see DirectoryWatcher). It reports; it decides nothing and looks at no file's content.
import { lstat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { FSWatcher } from 'chokidar';

type ReaddirpOptions = Parameters<FSWatcher['_readdirp']>[1];
type ReaddirpStream = NonNullable<ReturnType<FSWatcher['_readdirp']>>;

/**
 * chokidar, plus five things it lacks (through members its types declare; pinned 4.0.3 with
 * readdirp 4.1.2):
 * - the moment a directory's OS watch exists. chokidar reports a new directory (addDir) before
 *   it lists it and starts watching it; a file written in that window raises no event, so the
 *   subtree look that addDir triggers can miss it. Looking at the subtree again once the watch
 *   is in place closes the window. chokidar registers every watch's closer via _addPathCloser.
 *   A directory made in that window is logged by that look but, as chokidar lists a directory
 *   only before its watch and on its events, was never watched (nor what is written in it, until
 *   the next rescan): the directory is listed once more, through chokidar, once its watch exists.
 *   Not during the initial walk, though: listing every directory twice would double start-up on a
 *   big tree. There the walk's own window stays open, and the whole-root scan that follows it
 *   hands each directory it lists to watchUnknown, which watches those chokidar never heard of.
 * - watching a directory afresh. A directory removed and made again before chokidar re-reads
 *   its parent keeps its place in chokidar's books, and chokidar keeps the watch on the removed
 *   one, which reports nothing ever again. _remove forgets the path and everything below it.
 * - forgetting a directory twice in a row. chokidar drops a removal of a path removed less than
 *   100 ms before, taking it for the same removal reached twice. A directory made again and gone
 *   again within that time (a swap for a symlink, `mkdir d` … `rm -r d` in a loop) then stays in
 *   its books, watched on the gone directory, and the next directory made there is taken for it:
 *   never watched, the files written in it unlogged until the next rescan. A removal that finds
 *   the path watched or tracked again since is a new one and goes through.
 * - listing a directory without an lstat per file. chokidar stats every entry it lists, only for
 *   `ignored` to drop every file (only directories are watched): 100k lstat promises at start-up,
 *   and a directory of 10k files re-listed whenever one of them is written. Entries are listed
 *   with their types (dirents), and only directories and symbolic links get the lstat chokidar
 *   reads their stats from.
 * - a listing that survives a link it cannot resolve. readdirp resolves each link's target and
 *   takes only ENOENT, EACCES, EPERM and ELOOP for a bad link; any other error (ENOTDIR: the
 *   target runs through a file, `l -> f/x`) ends the whole listing without an 'end', so chokidar
 *   never watches what comes after it and, at start-up, never becomes ready. Such a link is
 *   dropped like a dangling one.
 */
export class DirectoryWatcher extends FSWatcher {
  onWatching: ((path: string) => void) | null = null;

  override _readdirp(root: string, opts?: ReaddirpOptions): ReaddirpStream | undefined {
    const stream = super._readdirp(root, { ...opts, alwaysStat: false, type: 'directories', fileFilter: () => false });
    if (!stream) return stream;
    const onError = stream._onError.bind(stream);
    stream._onError = (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTDIR' || code === 'ENAMETOOLONG') && !stream.destroyed) stream.emit('warn', err);
      else onError(err);
    };
    const formatEntry = stream._formatEntry.bind(stream);
    stream._formatEntry = async (dirent, path) => {
      const entry = await formatEntry(dirent, path);
      if (!entry || typeof dirent === 'string' || !(dirent.isDirectory() || dirent.isSymbolicLink())) return entry;
      const stats = await lstat(entry.fullPath).catch(() => null);
      return stats ? { ...entry, stats } : undefined; // gone meanwhile: as readdirp drops an entry it cannot stat
    };
    return stream;
  }

  override _addPathCloser(path: string, closer: () => void): void {
    super._addPathCloser(path, closer);
    if (!this.onWatching) return; // the initial walk: the scan that follows it calls watchUnknown
    this.onWatching(path);
    // Once per watch: a child set up twice (listed by both listings while its own setup was
    // under way) must not have its children listed twice, and theirs four times.
    if (this._closers.get(path)?.length !== 1) return;
    // chokidar's own call when an event arrives in a watched directory. Its result is dropped
    // (a rejection means the watcher closed meanwhile).
    this._nodeFsHandler._handleRead(path, false, this._getWatchHelpers(path), undefined as never, path, 0, undefined as never)?.catch(() => undefined);
  }

  override _remove(directory: string, item: string, isDirectory?: boolean): void {
    const path = nodePath.join(directory, item);
    const held =
      this._closers.has(path) ||
      this._watched.get(nodePath.resolve(directory))?.has(item) === true ||
      (this._watched.get(nodePath.resolve(path))?.getChildren().length ?? 0) > 0;
    // A removal that went through left none of these; a duplicate of it finds nothing held.
    if (held) this._throttled.get('remove')?.get(path)?.clear();
    super._remove(directory, item, isDirectory);
  }

  /**
   * Watches abs, a directory found on disk, if chokidar never heard of it: one made between
   * chokidar's listing of its parent and the parent's watch during the initial walk, which no
   * event ever named. Known means tracked in the parent's books, whatever became of its watch: a
   * directory whose watch the OS refused (ENOSPC) is not asked for again. Returns whether it
   * asked chokidar to watch it; chokidar then walks its subtree, so the caller skips what is below.
   */
  watchUnknown(abs: string): boolean {
    if (this.closed) return false; // add() would open it again
    const books = this._watched.get(nodePath.resolve(nodePath.dirname(abs)));
    if (!books || books.has(nodePath.basename(abs))) return false; // no books: chokidar never got to the parent
    this.add(abs);
    return true;
  }

  /** Forgets what is watched at and below abs; watches it afresh when `watchAgain`. */
  renew(abs: string, watchAgain: boolean): void {
    this._remove(nodePath.dirname(abs), nodePath.basename(abs), true);
    if (watchAgain) this.add(abs);
  }
}
