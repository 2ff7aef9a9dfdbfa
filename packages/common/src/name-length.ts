// How long a name zync makes from another may be. Linux counts a file name's bytes (NAME_MAX,
// 255 on every common file system), JavaScript counts UTF-16 units: a name zync derives from a
// synced one (a temp file, a conflict copy) must be cut by its UTF-8 bytes, or a name of 255
// bytes that E holds leads to an ENAMETOOLONG on R for every try. Pure; no I/O.

/** The longest file name, in bytes, that the file systems zync runs on take. */
export const NAME_MAX_BYTES = 255;

/**
 * The longest prefix of `text` that takes at most `maxBytes` bytes as UTF-8, never cutting a
 * character (a surrogate pair stays whole or goes whole).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
