// A file's permission bits are merged on their own, apart from its content, against the bits R
// last received (the base), as git merges a mode change on one side with a content change on the
// other: a chmod on one side only is that side's; different chmods on both sides leave E's bits
// in place (R is told). E's chmod is measured against E's bits R received; R's against the bits
// R's file had once R wrote it (a root without Unix modes, vfat, shows its own for every file:
// none of them is a chmod of R's). Pure; plan-pull.ts decides the content and asks here for the bits.

export interface FileModeMerge {
  /** The bits R's file ends with. */
  bits: number;
  /** Only R changed the bits: they stay, R's edit still to go upstream (the record keeps E's). */
  keptR: boolean;
  /** Both sides changed the bits, differently: R's bits, which E's replace. */
  replacedR: number | null;
}

const permissionBits = (mode: number) => mode & 0o7777;

/** What R recorded of a file's bits: E's as received, and those R's file had once written (sql/009). */
export interface ReceivedBits {
  mode: number;
  /** Null or absent: not known (recorded before they were kept), E's bits stand for them. */
  local_mode?: number | null;
}

/** The bits R's file has while R made no chmod: as R's disk showed them once written, else E's. */
export function unchmoddedBits(received: ReceivedBits): number {
  return permissionBits(received.local_mode ?? received.mode);
}

/**
 * A record as R reads it on a root that keeps no permission bits (vfat, `bindfs --chmod-ignore`):
 * a file whose own bits R does not know (recorded before they were kept, sql/009, or adopted after
 * a kill -9, local-edits.ts) has the bits it shows. A chmod there changes nothing, so they are no
 * chmod of R's; taken from E instead, every such file would look chmodded on R. Elsewhere, or
 * where they are known, the record stands.
 */
export function withOwnBitsWhereModeless<T extends ReceivedBits>(received: T, shown: number, keepsModes: boolean): T {
  if (keepsModes || received.local_mode != null) return received;
  return { ...received, local_mode: permissionBits(shown) };
}

/**
 * `base`: what R last recorded for this file (null: none received, then E's bits stand, as for
 * any file E sends first); `r`: R's file now; `e`: E's change.
 */
export function mergeFileMode(base: ReceivedBits | null, r: number, e: number): FileModeMerge {
  const [rBits, eBits] = [permissionBits(r), permissionBits(e)];
  const rChanged = base !== null && rBits !== unchmoddedBits(base);
  if (!rChanged || rBits === eBits) return { bits: eBits, keptR: false, replacedR: null };
  if (eBits === permissionBits(base.mode)) return { bits: rBits, keptR: true, replacedR: null };
  return { bits: eBits, keptR: false, replacedR: rBits };
}

/** R's bits where they differ from those R's file had as received: a chmod made on R; else null. */
export function chmodOnR(received: ReceivedBits, r: number): number | null {
  const rBits = permissionBits(r);
  return rBits === unchmoddedBits(received) ? null : rBits;
}

/**
 * The bits to record as R's file's own once R wrote it with `wrote` and its disk shows `got`
 * (local_mode), E's bits being `e`. Where R kept its own chmod over E's bits and the disk kept
 * it, the file without that chmod would have E's; where the disk did not keep what R wrote (a
 * root without Unix modes), what it shows is no chmod of R's.
 */
export function localBitsAfterWrite(wrote: number, got: number, e: number): number {
  const kept = permissionBits(wrote) !== permissionBits(e) && permissionBits(got) === permissionBits(wrote);
  return permissionBits(kept ? e : got);
}

/**
 * Whether a staged modify leaves the bits to E: R sent the bits it had received (`base`). Null
 * or absent `base`: not known (staged before it was kept).
 */
export function carriesNoChmod(staged: { mode?: number | null | undefined; base_mode?: number | null | undefined }): boolean {
  return staged.mode != null && staged.base_mode != null && staged.mode === staged.base_mode;
}
