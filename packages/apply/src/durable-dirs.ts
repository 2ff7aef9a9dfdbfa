// Which directories to fsync so that a file just renamed into `dir` survives a power cut: `dir`
// (its new entry) and every ancestor whose entry for the directory below it may not be durable
// yet, up to `top`, whose own entry is taken as durable. A directory mkdir -p made in this run, or
// in a run killed before it fsynced, is such an ancestor; so the walk trusts only what `durable`
// says this run already fsynced, not what exists. Many backups in one session thus fsync their
// directory chain once, then only the directory each lands in. Pure: the caller fsyncs.
import * as nodePath from 'node:path';

export interface DirSync {
  /** Directories to fsync, `dir` first. */
  fsync: string[];
  /** Directories whose own entry is durable once those fsyncs are done (add to `durable`). */
  durable: string[];
}

export function dirsToSync(top: string, dir: string, durable: ReadonlySet<string>): DirSync {
  const fsync = [dir];
  const nowDurable: string[] = [];
  for (let d = dir; d !== top && !durable.has(d); d = nodePath.dirname(d)) {
    const parent = nodePath.dirname(d);
    if (parent === d) break; // the file system's root (or '.'): nothing above to fsync
    fsync.push(parent);
    nowDurable.push(d);
  }
  return { fsync, durable: nowDurable };
}
