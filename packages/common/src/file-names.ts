// File names that are not UTF-8. Linux names are bytes; the wire, SQLite and every path in zync
// are strings, and Node decodes a name that is not UTF-8 with U+FFFD in place of each bad byte:
// a string that leads nowhere (lstat says ENOENT), shared by every name that differs only in
// those bytes. Such names are not synced. This module tells them apart from names that hold a
// real U+FFFD by listing the directory as bytes, and shows them with the bad bytes as `\xNN`.
// It decides nothing about warning (callers warn once per name).
import { isUtf8 } from 'node:buffer';
import { readdirSync } from 'node:fs';
import { inertLine } from './terminal-text.js';

/** Whether a name as Node decoded it may stand for bytes that are not UTF-8 (then list its directory). */
export function mayBeNonUtf8(name: string): boolean {
  return name.includes('\uFFFD');
}

export interface NonUtf8Listing {
  /** The names in the directory that are not UTF-8, as bytes. */
  nonUtf8: Buffer[];
  /** The UTF-8 names in the directory that hold U+FFFD themselves: real entries, synced as usual. */
  literal: ReadonlySet<string>;
}

/** Lists `dir` as bytes (one readdir); null when it cannot be listed. */
export function listNonUtf8Names(dir: string): NonUtf8Listing | null {
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return null;
  }
  const nonUtf8: Buffer[] = [];
  const literal = new Set<string>();
  for (const name of names) {
    if (!isUtf8(name)) nonUtf8.push(name);
    else if (name.includes(0xef)) {
      const decoded = name.toString('utf8');
      if (mayBeNonUtf8(decoded)) literal.add(decoded);
    }
  }
  return { nonUtf8, literal };
}

/** How many bytes a UTF-8 sequence starting with `lead` takes (0: no sequence starts so). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * A name's bytes as one printable line: UTF-8 sequences as their characters, every other byte
 * as `\xNN`, and characters a terminal would act on escaped as inertLine does. Pure.
 */
export function escapeNameBytes(name: Uint8Array): string {
  const bytes = Buffer.from(name.buffer, name.byteOffset, name.byteLength);
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes[i]!);
    if (n > 0 && i + n <= bytes.length && isUtf8(bytes.subarray(i, i + n))) {
      out += inertLine(bytes.toString('utf8', i, i + n));
      i += n;
    } else {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}
