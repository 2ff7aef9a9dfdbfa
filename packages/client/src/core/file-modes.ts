// A file's permission bits are merged on their own, apart from its content, against the bits R
// last received (the base), as git merges a mode change on one side with a content change on the
// other: a chmod on one side only is that side's; different chmods on both sides leave E's bits
// in place (R is told). Pure; plan-pull.ts decides the content and asks here for the bits.

export interface FileModeMerge {
  /** The bits R's file ends with. */
  bits: number;
  /** Only R changed the bits: they stay, R's edit still to go upstream (the record keeps E's). */
  keptR: boolean;
  /** Both sides changed the bits, differently: R's bits, which E's replace. */
  replacedR: number | null;
}

const permissionBits = (mode: number) => mode & 0o7777;

/**
 * `base`: the bits R last received for this file (null: none received, then E's bits stand, as
 * for any file E sends first); `r`: R's file now; `e`: E's change.
 */
export function mergeFileMode(base: number | null, r: number, e: number): FileModeMerge {
  const [b, rBits, eBits] = [base === null ? null : permissionBits(base), permissionBits(r), permissionBits(e)];
  const rChanged = b !== null && rBits !== b;
  if (!rChanged || rBits === eBits) return { bits: eBits, keptR: false, replacedR: null };
  if (eBits === b) return { bits: rBits, keptR: true, replacedR: null };
  return { bits: eBits, keptR: false, replacedR: rBits };
}

/** R's bits where they differ from those R received (`base`): a chmod made on R; else null. */
export function chmodOnR(base: number, r: number): number | null {
  const rBits = permissionBits(r);
  return rBits === permissionBits(base) ? null : rBits;
}
