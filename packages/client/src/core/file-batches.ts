// Groups small downloads into GET_FILES requests: one base_dir per request, at most `maxFiles`
// paths and `maxBytes` of content each, in the order given (so the first files asked for are
// the first to arrive). Files above `maxFileBytes` are left for GET_FILE, which streams. Pure.

export interface BatchLimits {
  maxFiles: number;
  maxBytes: number;
  maxFileBytes: number;
}

interface Sized {
  entry: { base_dir: string; size: number };
}

export interface FileBatches<T> {
  batches: T[][];
  /** Too large for a batch: one GET_FILE each. */
  single: T[];
}

export function planFileBatches<T extends Sized>(items: readonly T[], limits: BatchLimits): FileBatches<T> {
  const batches: T[][] = [];
  const single: T[] = [];
  const open = new Map<string, { items: T[]; bytes: number }>();
  for (const item of items) {
    const { base_dir, size } = item.entry;
    if (size > limits.maxFileBytes) {
      single.push(item);
      continue;
    }
    let batch = open.get(base_dir);
    if (batch && (batch.items.length >= limits.maxFiles || batch.bytes + size > limits.maxBytes)) batch = undefined;
    if (!batch) {
      batch = { items: [], bytes: 0 };
      open.set(base_dir, batch);
      batches.push(batch.items);
    }
    batch.items.push(item);
    batch.bytes += size;
  }
  return { batches, single };
}
