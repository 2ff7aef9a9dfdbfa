// Whether a running client may send R's edits for a one-shot `--update-upstream` (hand-off): only
// when the one-shot would have talked to the same daemon (--server, the token, --ca) about the
// same roots (--dirs, each at the same real place). Otherwise one sentence saying what differs, for
// the one-shot to print: a script that gives another --server must not get another daemon's answer.
// Also what a client answers a request it cannot read (another zync's one-shot). Pure: the setups
// and refusals come in as data.
import { HAND_OFF_PROTOCOL, type ErrorCode, type HandOffRefusal, type HandOffSetup } from '@zync/common';

/**
 * The answer to a request this client cannot take (readHandOffRequest): a defined code a newer
 * one-shot recognises (UNKNOWN_OPERATION for a request type not known here, as the daemon answers
 * one) and a sentence that still tells a user what to do where the one-shot only prints it.
 */
export function handOffRefusalAnswer(refusal: HandOffRefusal, pid: number): { code: ErrorCode; error: string } {
  const restart = 'restart it (the service) with the same zync as this command, then run the command again.';
  switch (refusal.kind) {
    case 'protocol':
      return {
        code: 'INCOMPATIBLE_PROTOCOL',
        error: `The running zync-client (pid ${pid}) speaks hand-off protocol ${HAND_OFF_PROTOCOL}, and this command ${refusal.protocol} only; restart it (the service) with the same zync as this command, then run --update-upstream again.`,
      };
    case 'unknown-operation':
      return {
        code: 'UNKNOWN_OPERATION',
        error: `The running zync-client (pid ${pid}) does not know the request ${JSON.stringify(refusal.operation)}: it runs an older zync than this command; ${restart}`,
      };
    case 'unreadable':
      return {
        code: 'INCOMPATIBLE_PROTOCOL',
        error: `The running zync-client (pid ${pid}) cannot read this command's ${refusal.operation} request: it runs another version of zync; ${restart}`,
      };
  }
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
