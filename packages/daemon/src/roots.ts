// The watched roots as the daemon runs them: base_dir name -> root path, its current ignore
// matcher (reloaded when .zyncignore changes) and whether the root is available (a vanished root
// is held, not logged as deleted). Shared by the scanner, the watcher and the server; owns no I/O
// except loading .zyncignore.
import { loadIgnoreMatcher, type DirSpec, type IgnoreMatcher } from '@zync/common';

export interface Root {
  name: string;
  root: string;
  matcher: IgnoreMatcher;
  /** false while the root is missing (reported, being watched for its return). */
  available: boolean;
}

export class RootSet {
  private readonly roots = new Map<string, Root>();

  private constructor(roots: Root[]) {
    for (const r of roots) this.roots.set(r.name, r);
  }

  static async load(dirs: readonly DirSpec[]): Promise<RootSet> {
    const roots = await Promise.all(
      dirs.map(async (d) => ({ name: d.name, root: d.root, matcher: await loadIgnoreMatcher(d.root), available: true })),
    );
    return new RootSet(roots);
  }

  get(name: string): Root | undefined {
    return this.roots.get(name);
  }

  all(): Root[] {
    return [...this.roots.values()];
  }

  names(): string[] {
    return [...this.roots.keys()];
  }

  async reloadIgnores(name: string): Promise<void> {
    const root = this.roots.get(name);
    if (root) root.matcher = await loadIgnoreMatcher(root.root);
  }
}
