// What a running client says of roots that stay away across passes — E's roots E holds as
// unavailable, R's roots held off the disk they were synced on, R's missing roots that cannot be
// made again: once when one goes, once when it is back, and again if it goes again. A running client passes every --interval and at every
// push: saying it at each pass would repeat one warning all day while a disk stays unmounted.
// Pure.

/**
 * Of the roots away after a pass and those away after the pass before it (none for a run's first),
 * compared by `name`: the ones that went since (each to be warned of) and the ones back since
 * (each to be noted), in the order their pass gave them.
 */
export function awayNews<T>(before: readonly T[], now: readonly T[], name: (root: T) => string): { gone: T[]; back: T[] } {
  const had = new Set(before.map(name));
  const has = new Set(now.map(name));
  return { gone: now.filter((root) => !had.has(name(root))), back: before.filter((root) => !has.has(name(root))) };
}
