// Runs an async function over items with at most `concurrency` calls in flight: a fixed set of
// workers pulls from one iterator, so memory stays bounded however many items there are
// (never one promise per item). Errors are the callback's business: it must not throw.

export async function runPool<T>(
  items: Iterable<T>,
  concurrency: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = iterator.next();
      if (next.done) return;
      await run(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
