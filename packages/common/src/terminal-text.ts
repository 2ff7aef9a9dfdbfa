// Text from the other machine (a file's content, a path, a client id) made safe to print on a
// terminal, where a reviewer must see exactly what is there. Every character a terminal acts on
// instead of showing becomes a visible escape (`\x1b`, `\x9b`, `\u202e`): the C0 controls (ESC
// starts CSI and OSC sequences that erase lines, move the cursor or hide a hyperlink's target; CR
// and BS overwrite what was printed; BEL rings), DEL, the C1 controls (U+009B is CSI on some
// terminals) and the bidirectional formatting characters that reorder a line as displayed
// ("Trojan Source"). Colour is the caller's, added after. Pure.

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// A single-line field (a path, an id) also has its tab and newline escaped: a newline there
// would print a line that looks like zync's own output.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Multi-line text (a file's lines, a message): keeps tab and newline, escapes the rest. */
export function inertText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, escape);
}

/** One field on one line (a path, an id): escapes tab and newline too. */
export function inertLine(text: string): string {
  return text.replace(UNSAFE_IN_LINE, escape);
}
