// Whether a running client may send R's edits for a one-shot `--update-upstream` (hand-off): only
// when the one-shot would have talked to the same daemon (--server, the token, --ca) about the
// same roots (--dirs, each at the same real place), and speaks a hand-off protocol this client
// serves. Otherwise one sentence saying what differs, for the one-shot to print: a script that
// gives another --server must not get another daemon's answer. Pure: the setups come in as data.
import { HAND_OFF_PROTOCOL, SUPPORTED_HAND_OFF_PROTOCOLS, type HandOffSetup } from '@zync/common';

/**
 * Null when this client serves the one-shot's hand-off protocol (absent: 1); else the refusal
 * (INCOMPATIBLE_PROTOCOL), naming this client by its pid. Asked before anything else of the
 * request: a protocol this client does not speak may mean its other fields differently.
 */
export function handOffProtocolRefusal(protocol: number | undefined, pid: number): string | null {
  if (SUPPORTED_HAND_OFF_PROTOCOLS.includes(protocol ?? 1)) return null;
  return `The running zync-client (pid ${pid}) speaks hand-off protocol ${HAND_OFF_PROTOCOL}, and this command ${protocol} only; restart it (the service) with the same zync as this command, then run --update-upstream again.`;
}

const spec = (dirs: HandOffSetup['dirs']) => dirs.map((d) => `${d.name}:${d.root}`).join(' ');

/** The server URL as both sides would dial it: `ws://h:8000` and `ws://h:8000/` are one. */
function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** What differs between the one-shot's --dirs and the running client's, name by name. */
function dirsDifference(running: HandOffSetup['dirs'], given: HandOffSetup['dirs']): string[] {
  const theirs = new Map(running.map((d) => [d.name, d.root]));
  const ours = new Map(given.map((d) => [d.name, d.root]));
  const out: string[] = [];
  for (const [name, root] of ours) {
    const there = theirs.get(name);
    if (there === undefined) out.push(`"${name}" is not synced there`);
    else if (there !== root) out.push(`"${name}" is ${there} there, ${root} here`);
  }
  for (const name of theirs.keys()) if (!ours.has(name)) out.push(`"${name}" is not given here`);
  return out;
}

/**
 * Null when the one-shot's setup is the running client's; else the refusal (BAD_ARGUMENT), which
 * names the running client by its pid and says how to go on.
 */
export function handOffMismatch(running: HandOffSetup, given: HandOffSetup, pid: number): string | null {
  const who = `the running zync-client (pid ${pid})`;
  const then = (what: string) => `give ${what} to hand the upload to it, or stop it first`;
  if (!sameServer(running.server, given.server)) {
    return `--server ${given.server} is not the one ${who} syncs with (${running.server}); ${then('the same --server')}.`;
  }
  const differs = dirsDifference(running.dirs, given.dirs);
  if (differs.length > 0) {
    return `--dirs differs from ${who}, which has ${spec(running.dirs)}: ${differs.join('; ')}; ${then('the same --dirs')}.`;
  }
  if (running.token_sha256 !== given.token_sha256) {
    return `The token given (--token, --token-file or ZYNC_TOKEN) is not the one ${who} uses; ${then('the same token')}.`;
  }
  if (running.ca_sha256 !== given.ca_sha256) {
    if (given.ca_sha256 === null) return `This command gives no --ca, but ${who} trusts a CA file of its own; ${then('the same --ca')}.`;
    if (running.ca_sha256 === null) return `This command gives --ca, but ${who} has none; ${then('no --ca')}.`;
    return `--ca holds another certificate than the one ${who} trusts; ${then('the same --ca')}.`;
  }
  return null;
}
