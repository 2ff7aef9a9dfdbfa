import type { HandOffRefusal, HandOffSetup } from '@zync/common';
import { describe, expect, it } from 'vitest';
import { handOffMismatch, handOffRefusalAnswer } from './hand-off-match.js';

const T1 = 'a'.repeat(64);
const T2 = 'b'.repeat(64);
const running: HandOffSetup = {
  server: 'ws://localhost:8000',
  dirs: [
    { name: 'docs', root: '/home/u/docs' },
    { name: 'code', root: '/home/u/code' },
  ],
  token_sha256: T1,
  ca_sha256: null,
};
const who = 'the running zync-client (pid 42)';

describe('handOffMismatch', () => {
  it.each<[string, Partial<HandOffSetup>, string | null]>([
    ['the same setup', {}, null],
    ['the same roots in another order', { dirs: [...running.dirs].reverse() }, null],
    ['the same server with a trailing slash', { server: 'ws://localhost:8000/' }, null],
    [
      'another server',
      { server: 'ws://localhost:9000' },
      `--server ws://localhost:9000 is not the one ${who} syncs with (ws://localhost:8000); give the same --server to hand the upload to it, or stop it first.`,
    ],
    [
      'a root elsewhere, a name left out',
      { dirs: [{ name: 'docs', root: '/tmp/docs' }] },
      `--dirs differs from ${who}, which has docs:/home/u/docs code:/home/u/code: "docs" is /home/u/docs there, /tmp/docs here; "code" is not given here; give the same --dirs to hand the upload to it, or stop it first.`,
    ],
    [
      'a name the running client does not sync',
      { dirs: [...running.dirs, { name: 'extra', root: '/home/u/extra' }] },
      `--dirs differs from ${who}, which has docs:/home/u/docs code:/home/u/code: "extra" is not synced there; give the same --dirs to hand the upload to it, or stop it first.`,
    ],
    [
      'another token',
      { token_sha256: T2 },
      `The token given (--token, --token-file or ZYNC_TOKEN) is not the one ${who} uses; give the same token to hand the upload to it, or stop it first.`,
    ],
    ['a --ca the running client lacks', { ca_sha256: T2 }, `This command gives --ca, but ${who} has none; give no --ca to hand the upload to it, or stop it first.`],
  ])('%s', (_why, given, sentence) => {
    expect(handOffMismatch(running, { ...running, ...given }, 42)).toBe(sentence);
  });

  it.each<[string, string | null, string]>([
    ['no --ca given where the running client has one', null, `This command gives no --ca, but ${who} trusts a CA file of its own; give the same --ca to hand the upload to it, or stop it first.`],
    ['another --ca', T2, `--ca holds another certificate than the one ${who} trusts; give the same --ca to hand the upload to it, or stop it first.`],
  ])('%s', (_why, given, sentence) => {
    expect(handOffMismatch({ ...running, ca_sha256: T1 }, { ...running, ca_sha256: given }, 42)).toBe(sentence);
  });
});

describe('handOffRefusalAnswer', () => {
  it.each<[string, HandOffRefusal, ReturnType<typeof handOffRefusalAnswer>]>([
    [
      'a protocol this client does not speak',
      { kind: 'protocol', protocol: 7 },
      {
        code: 'INCOMPATIBLE_PROTOCOL',
        error: 'The running zync-client (pid 42) speaks hand-off protocol 1, and this command 7 only; restart it (the service) with the same zync as this command, then run --update-upstream again.',
      },
    ],
    [
      "a newer one-shot's request type: the code the daemon gives an unknown operation",
      { kind: 'unknown-operation', operation: 'STATUS' },
      {
        code: 'UNKNOWN_OPERATION',
        error: 'The running zync-client (pid 42) does not know the request "STATUS": it runs an older zync than this command; restart it (the service) with the same zync as this command, then run the command again.',
      },
    ],
    [
      'a known request of a shape not read here',
      { kind: 'unreadable', operation: 'UPDATE_UPSTREAM' },
      {
        code: 'INCOMPATIBLE_PROTOCOL',
        error: "The running zync-client (pid 42) cannot read this command's UPDATE_UPSTREAM request: it runs another version of zync; restart it (the service) with the same zync as this command, then run the command again.",
      },
    ],
  ])('%s', (_why, refusal, expected) => {
    expect(handOffRefusalAnswer(refusal, 42)).toEqual(expected);
  });
});
