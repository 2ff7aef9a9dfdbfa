// Hostile input to a running daemon: thousands of random and mutated messages from a seeded PRNG
// (ZYNC_FUZZ_SEED replays a failure): bad JSON, wrong types, binary frames where JSON is due,
// out-of-order upstream operations (UPSTREAM_FILE before PREPARE, FINALIZE twice, bytes for ids
// nobody announced, more bytes than announced), huge numbers, 10,000-level nesting, oversized
// frames, invalid UTF-8, unknown operations and unsafe paths. Messages go one at a time, so each
// is matched with its answer: a response with its id (null when it had no readable id) or a
// clean close of the socket (1009 for a frame above MAX_FRAME_BYTES, 1007 for invalid UTF-8).
// Afterwards the daemon is still up and answers PING, never answered INTERNAL, its resident
// memory grew by a bounded amount, and nothing changed outside its state directory.
import { readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_REQUEST_ID, Request } from '@zync/common';
import { startDaemon, tempDir, treeDigest, writeText, type DaemonHandle } from '../helpers/index.js';
import { seededRandom } from '../daemon/daemon-helpers.js';

const SEED = Number(process.env.ZYNC_FUZZ_SEED ?? 5150);
const RANDOM_MESSAGES = 4200;
const UPSTREAM_ROUNDS = 150;
const ANSWER_TIMEOUT_MS = 10_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Answer = { kind: 'message'; message: Record<string, unknown> } | { kind: 'close'; code: number };

/**
 * One socket that sends a message and waits for the answer matching it (or the socket closing).
 * Messages no one waits for yet are kept (a FINALIZE answered after later requests), up to a
 * bound; binary frames (GET_FILE content) are not answers and are dropped.
 */
class FuzzSocket {
  private readonly inbox: Record<string, unknown>[] = [];
  private waiter: ((a: Answer) => boolean) | null = null;
  private closedWith: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (this.waiter?.({ kind: 'message', message })) return;
      this.inbox.push(message);
      if (this.inbox.length > 100) this.inbox.shift();
    });
    ws.on('close', (code) => {
      this.closedWith = code;
      this.waiter?.({ kind: 'close', code });
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, token: string): Promise<FuzzSocket> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, maxPayload: 64 * 1024 * 1024 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(ws)));
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends data and resolves with the answer whose id is `id` (null: no readable id), or the close. */
  exchange(data: string | Buffer, binary: boolean, id: number | null): Promise<Answer> {
    this.ws.send(data, { binary });
    const what = binary ? `a binary frame of ${data.length} bytes` : String(data).slice(0, 300);
    return this.await(id, what);
  }

  await(id: number | null, what = ''): Promise<Answer> {
    const matches = (m: Record<string, unknown>) => m.id === id && m.operation !== 'CHANGES_AVAILABLE';
    const queued = this.inbox.findIndex(matches);
    if (queued >= 0) return Promise.resolve({ kind: 'message', message: this.inbox.splice(queued, 1)[0]! });
    if (this.closedWith !== null) return Promise.resolve({ kind: 'close', code: this.closedWith });
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer for id ${id} within ${ANSWER_TIMEOUT_MS} ms: ${what}`));
      }, ANSWER_TIMEOUT_MS);
      this.waiter = (a) => {
        if (a.kind === 'message' && !matches(a.message)) return false;
        clearTimeout(timer);
        this.waiter = null;
        resolve(a);
        return true;
      };
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** The id the daemon can read from a text frame, exactly as the protocol defines it. */
function readableId(text: string): number | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const id = (data as Record<string, unknown>).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_REQUEST_ID ? id : null;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function vmRssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

const UNSAFE_PATHS = [
  '../outside.txt', '../../etc/passwd', 'a/../../sibling/evil.txt', '/etc/passwd', '/tmp/evil', 'a\\..\\..\\evil',
  '..\\evil', 'a\u0000b', 'line\nbreak', './x', 'a//b', 'a/./b', '.', '..', '', 'x/', '/',
  'C:\\Windows\\evil', 'x'.repeat(5000),
];
/** Well-formed paths that only look like an escape: taken literally, they stay inside the root. */
const LITERAL_PATHS = ['%2e%2e/evil', '..%2f..%2fevil', '...', '..a', '\u202e.txt', 'a/..b/c'];
/** Paths that are well-formed but that E never syncs (zync's temp files, VCS folders). */
const IGNORED_PATHS = ['.zync-tmp-x', 'dir/.git/config', '.git/hooks/post-checkout'];
const WEIRD_VALUES: Json[] = [
  null, true, false, 0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 4294967296, '', '0', 'x'.repeat(300),
  [], {}, [1, 2, 3], { a: 1 }, { toString: 'x' }, 'PING', 'docs', '😀', '\u0000', 'a'.repeat(64), 'f'.repeat(64),
];
const OPERATIONS = ['PING', 'HELLO', 'GET_LAST_SEQUENCE', 'GET_CHANGES', 'GET_FILE', 'ACK_CHANGES', 'PREPARE_UPSTREAM', 'UPSTREAM_FILE', 'DROP_UPSTREAM_FILE', 'FINALIZE_UPSTREAM'];

function templates(id: number): Record<string, Json>[] {
  return [
    { operation: 'PING', id },
    { operation: 'HELLO', id, client_id: 'fuzz', protocol: 2 },
    { operation: 'GET_LAST_SEQUENCE', id },
    { operation: 'GET_CHANGES', id, since_sequence: 0, limit: 10 },
    { operation: 'GET_FILE', id, base_dir: 'docs', path: 'missing.txt' },
    { operation: 'ACK_CHANGES', id, sequence_number: 0 },
    { operation: 'PREPARE_UPSTREAM', id, file_count: 1 },
    { operation: 'UPSTREAM_FILE', id, base_dir: 'docs', path: 'x.txt', checksum: 'a'.repeat(64), size: 3, base_checksum: null },
    { operation: 'UPSTREAM_FILE', id, base_dir: 'docs', path: 'gone.txt', checksum: null, size: 0, base_checksum: null, delete: true },
    { operation: 'DROP_UPSTREAM_FILE', id, base_dir: 'docs', path: 'x.txt' },
    { operation: 'FINALIZE_UPSTREAM', id },
  ];
}

const nested = (open: string, close: string, depth: number, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

/** A random or mutated message: the bytes to send and how they go. */
function randomMessage(random: () => number, id: number): { data: string | Buffer; binary: boolean; kind: string } {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const roll = random();
  if (roll < 0.08) {
    // Binary where JSON is due: short frames (no id) and frames for ids nobody announced.
    const length = random() < 0.2 ? Math.floor(random() * 4) : 4 + Math.floor(random() * 300);
    const frame = Buffer.alloc(length);
    for (let i = 0; i < length; i++) frame[i] = Math.floor(random() * 256);
    if (length >= 4) frame.writeUInt32BE(0x8000_0000 + Math.floor(random() * 0x7fff_ffff), 0);
    return { data: frame, binary: true, kind: 'binary' };
  }
  if (roll < 0.16) {
    // Not JSON, or JSON cut short.
    const valid = JSON.stringify(pick(templates(id)));
    const variants = [
      valid.slice(0, Math.floor(random() * valid.length)),
      `${valid}}`,
      valid.replace(':', ''),
      Array.from({ length: 1 + Math.floor(random() * 200) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join(''),
      '',
      'NaN',
      `{"operation":"PING","id":${id},}`,
      `{'operation':'PING','id':${id}}`,
    ];
    return { data: pick(variants), binary: false, kind: 'bad-json' };
  }
  if (roll < 0.22) {
    // JSON that is not a request object.
    const variants = [
      '[]', '[1,2]', 'null', '42', '"PING"', 'true', nested('[', ']', 10_000), nested('[', ']', 200_000, ''),
      `{"operation":"PING","id":${id},"deep":${nested('[', ']', 10_000)}}`,
      `{"operation":"GET_FILE","id":${id},"base_dir":"docs","path":${nested('{"a":', '}', 10_000)}}`,
      `{"operation":"GET_CHANGES","id":${id},"since_sequence":1${'0'.repeat(400)},"limit":1}`,
      `{"operation":"GET_CHANGES","id":${id},"since_sequence":-1e999,"limit":1}`,
      `{"__proto__":{"operation":"PING"},"id":${id}}`,
      `{"operation":"PING","id":${id},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`,
      `{"operation":"PING","operation":"HELLO","id":${id}}`,
      `{"operation":"GET_FILE","id":${id},"base_dir":"docs","path":"\\ud800"}`,
    ];
    return { data: pick(variants), binary: false, kind: 'odd-json' };
  }
  const message = { ...pick(templates(id)) };
  const mutations = 1 + Math.floor(random() * 3);
  for (let m = 0; m < mutations; m++) {
    const keys = Object.keys(message).filter((k) => k !== 'id');
    const r = random();
    if (r < 0.2 && keys.length > 0) delete message[pick(keys)];
    else if (r < 0.5 && keys.length > 0) message[pick(keys)] = pick(WEIRD_VALUES);
    else if (r < 0.6) message[`extra_${Math.floor(random() * 5)}`] = pick(WEIRD_VALUES);
    else if (r < 0.7) message.operation = pick([...OPERATIONS.map((o) => o.toLowerCase()), 'RM_RF', ' PING', 'PING\u0000', '', 'CHANGES_AVAILABLE', 'FILE_END']);
    else if (r < 0.78) message.operation = pick(OPERATIONS);
    else if (r < 0.9) message.path = pick([...UNSAFE_PATHS, ...LITERAL_PATHS, ...IGNORED_PATHS]);
    else if (r < 0.95) message.base_dir = pick(['../docs', 'nope', '', 'docs/..', 'DOCS', 'x'.repeat(300)]);
    else message.id = pick([-1, 1.5, '7', null, MAX_REQUEST_ID + 1, 1e300, [id], { id }]);
  }
  // No valid PREPARE_UPSTREAM here: an open session would make a later random UPSTREAM_FILE wait
  // for bytes. Sessions are exercised (out of order, on purpose) by the scripted rounds.
  const parsed = Request.safeParse(message);
  if (parsed.success && parsed.data.operation === 'PREPARE_UPSTREAM') message.file_count = -1;
  return { data: JSON.stringify(message), binary: false, kind: 'mutated' };
}

describe('zync-daemon under hostile input', () => {
  let parent: string;
  let root: string;
  let sibling: string;
  let daemon: DaemonHandle;

  beforeAll(async () => {
    parent = tempDir('zync-fuzz-');
    root = path.join(parent, 'root');
    sibling = path.join(parent, 'sibling');
    for (let i = 0; i < 20; i++) await writeText(path.join(root, `dir${i % 3}`, `f${i}.txt`), `content ${i}\n`);
    await writeText(path.join(root, 'x.txt'), 'x\n');
    await writeText(path.join(sibling, 'untouchable.txt'), 'outside every root\n');
    daemon = await startDaemon({ dirs: { docs: root }, db: path.join(tempDir('zync-state-'), 'sync.db') });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('answers every message with an error or a clean close, stays up with stable memory, writes nothing outside its state', async () => {
    const random = seededRandom(SEED);
    const before = { root: await treeDigest(root), sibling: await treeDigest(sibling), parent: (await readdir(parent)).sort() };
    const stats = new Map<string, number>();
    const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);
    let sent = 0;
    let nextId = 1;
    let socket = await FuzzSocket.open(daemon.url, daemon.token);
    const internal: string[] = [];

    const record = (kind: string, answer: Answer) => {
      sent++;
      if (answer.kind === 'close') {
        count(`${kind}: close ${answer.code}`);
        return;
      }
      const m = answer.message;
      count(`${kind}: ${String(m.status)}${m.code ? ` ${String(m.code)}` : ''}`);
      if (m.code === 'INTERNAL') internal.push(String(m.error));
      expect(['ok', 'error']).toContain(m.status);
    };
    const reopen = async (hello: boolean) => {
      if (!socket.closed) return;
      socket = await FuzzSocket.open(daemon.url, daemon.token);
      if (hello) {
        const id = nextId++;
        record('hello', await socket.exchange(JSON.stringify({ operation: 'HELLO', id, client_id: 'fuzz-hello', protocol: 2 }), false, id));
      }
    };
    const sendText = async (kind: string, text: string | Buffer, expectId: number | null) => {
      record(kind, await socket.exchange(text, false, expectId));
    };

    for (let i = 0; i < 200; i++) {
      const id = nextId++;
      await sendText('warm-up', JSON.stringify({ operation: 'PING', id }), id);
    }
    const rssStart = vmRssBytes(daemon.pid);
    // The heaviest messages once each up front, so the heap has grown to its working size before
    // the baseline is taken: memory must then stay there for the thousands that follow.
    // The working size is the largest RSS seen while they run: a sample taken once at the end
    // may fall just after a GC and sit tens of MiB lower.
    let rssBefore = rssStart;
    const sample = () => void (rssBefore = Math.max(rssBefore, vmRssBytes(daemon.pid)));
    const oversized = async (binary: boolean) => {
      const big = Buffer.alloc(MAX_FRAME_BYTES + 1 + Math.floor(random() * 1024), binary ? 1 : 0x20);
      const answer = await socket.exchange(binary ? big : big.toString('latin1'), binary, null);
      record('oversized', answer);
      expect(answer).toEqual({ kind: 'close', code: 1009 });
      sample();
    };
    for (let i = 0; i < 2; i++) {
      await oversized(false);
      await reopen(false);
      await oversized(true);
      await reopen(false);
      for (const text of [nested('[', ']', 200_000, ''), `{"operation":"PING","id":${nextId},"deep":${nested('{"a":', '}', 10_000)}}`]) {
        await sendText('heavy', text, readableId(text));
        nextId++;
        sample();
      }
    }

    // Phase 1 and 2: random and mutated messages, first before HELLO, then after it.
    for (let i = 0; i < RANDOM_MESSAGES; i++) {
      await reopen(i >= RANDOM_MESSAGES / 2);
      if (i === RANDOM_MESSAGES / 2 && !socket.closed) {
        const id = nextId++;
        await sendText('hello', JSON.stringify({ operation: 'HELLO', id, client_id: 'fuzz-hello', protocol: 2 }), id);
      }
      const id = nextId++;
      const special = random();
      if (special < 0.0015) {
        // A frame above the limit: the daemon closes the socket (1009) without reading it all.
        await oversized(random() < 0.5);
        continue;
      }
      if (special < 0.004) {
        const answer = await socket.exchange(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), false, null);
        record('invalid-utf8', answer);
        expect(answer).toEqual({ kind: 'close', code: 1007 });
        continue;
      }
      const message = randomMessage(random, id);
      if (message.binary) {
        const frame = message.data as Buffer;
        const answer = await socket.exchange(frame, true, frame.length >= 4 ? frame.readUInt32BE(0) : null);
        record(message.kind, answer);
        expect(answer.kind === 'message' && answer.message.status).toBe('error');
      } else {
        await sendText(message.kind, message.data, readableId(message.data as string));
      }
    }

    // Phase 3: upstream operations out of order, on purpose, each answered in turn.
    await reopen(true);
    if (!(stats.get('hello: ok') ?? 0)) {
      const id = nextId++;
      await sendText('hello', JSON.stringify({ operation: 'HELLO', id, client_id: 'fuzz-hello', protocol: 2 }), id);
    }
    const upstream = async (kind: string, fields: Record<string, Json>, expectStatus?: 'ok' | 'error'): Promise<number> => {
      const id = nextId++;
      const answer = await socket.exchange(JSON.stringify({ id, ...fields }), false, id);
      record(`upstream ${kind}`, answer);
      if (expectStatus) expect(answer.kind === 'message' && answer.message.status, `${kind}: ${JSON.stringify(answer)}`).toBe(expectStatus);
      return id;
    };
    /** An UPSTREAM_FILE with content: answered only once its bytes are in (see `bytes`). */
    const announce = (kind: string, fields: Record<string, Json>): number => {
      const id = nextId++;
      socket.ws.send(JSON.stringify({ id, ...fields }));
      sent++;
      count(`upstream ${kind}: (answered after its bytes)`);
      return id;
    };
    const bytes = async (kind: string, id: number, payload: Buffer, answered: boolean, expectStatus?: 'ok' | 'error') => {
      const frame = Buffer.alloc(4 + payload.length);
      frame.writeUInt32BE(id, 0);
      payload.copy(frame, 4);
      if (!answered) {
        socket.ws.send(frame, { binary: true });
        sent++;
        count(`upstream ${kind}: (no answer due)`);
        return;
      }
      const answer = await socket.exchange(frame, true, id);
      record(`upstream ${kind}`, answer);
      if (expectStatus) expect(answer.kind === 'message' && answer.message.status, `${kind}: ${JSON.stringify(answer)}`).toBe(expectStatus);
    };
    const file = (p: string, content: Buffer, checksum = createHash('sha256').update(content).digest('hex')) =>
      ({ operation: 'UPSTREAM_FILE', base_dir: 'docs', path: p, checksum, size: content.length, base_checksum: null }) as Record<string, Json>;

    for (let round = 0; round < UPSTREAM_ROUNDS; round++) {
      await reopen(true);
      const content = Buffer.from(`round ${round} ${random()}\n`);
      await upstream('file before prepare', file(`r${round}.txt`, content), 'error');
      await upstream('finalize before prepare', { operation: 'FINALIZE_UPSTREAM' }, 'error');
      await bytes('bytes for an unknown id', 0x7000_0000 + round, content, true, 'error');
      await upstream('prepare', { operation: 'PREPARE_UPSTREAM', file_count: 3 }, 'ok');
      await upstream('prepare twice', { operation: 'PREPARE_UPSTREAM', file_count: 1 }, 'error');
      await upstream('unsafe path', { ...file('x', content), path: UNSAFE_PATHS[round % UNSAFE_PATHS.length]! }, 'error');
      await upstream('ignored path', { operation: 'UPSTREAM_FILE', base_dir: 'docs', path: IGNORED_PATHS[round % IGNORED_PATHS.length]!, checksum: null, size: 0, base_checksum: null, delete: true }, 'error');
      await upstream('unknown base dir', { ...file('x.txt', content), base_dir: 'elsewhere' }, 'error');
      await upstream('huge size', { ...file('huge.txt', content), size: Number.MAX_SAFE_INTEGER }, 'error');
      // Announced 3 bytes too few: the surplus is refused.
      const short = announce('file (too short an announcement)', { ...file(`short${round}.txt`, content), size: content.length - 3 });
      await bytes('more bytes than announced', short, content, true, 'error');
      // A wrong checksum is refused once the bytes are in.
      const wrong = announce('file (wrong checksum)', file(`wrong${round}.txt`, content, 'b'.repeat(64)));
      await bytes('bytes under a wrong checksum', wrong, content, true, 'error');
      // Half the bytes, FINALIZE in the middle, then the rest.
      const good = announce('file', file(`good${round}.txt`, content));
      await bytes('first half', good, content.subarray(0, 5), false);
      const early = nextId++;
      socket.ws.send(JSON.stringify({ id: early, operation: 'FINALIZE_UPSTREAM' }));
      const rest = await socket.exchange(
        (() => {
          const frame = Buffer.alloc(4 + content.length - 5);
          frame.writeUInt32BE(good, 0);
          content.subarray(5).copy(frame, 4);
          return frame;
        })(),
        true,
        good,
      );
      record('upstream rest of the bytes', rest);
      expect(rest.kind === 'message' && rest.message.status).toBe('ok');
      record('upstream finalize with entries missing', await socket.await(early));
      await bytes('bytes after the file was complete', good, content, true, 'error');
      await upstream('same path twice', file(`good${round}.txt`, content), 'error');
      await upstream('delete with content', { ...file(`d${round}.txt`, content), delete: true }, 'error');
      if (round % 2 === 0) {
        // Leave the session unfinished: closing the socket aborts it.
        await socket.close();
        continue;
      }
      await upstream('delete', { operation: 'UPSTREAM_FILE', base_dir: 'docs', path: `gone${round}.txt`, checksum: null, size: 0, base_checksum: null, delete: true }, 'ok');
      await upstream('dir', { operation: 'UPSTREAM_FILE', base_dir: 'docs', path: `newdir${round}`, checksum: null, size: 0, base_checksum: null, kind: 'dir' }, 'ok');
      await upstream('one entry too many', file(`extra${round}.txt`, Buffer.alloc(0)), 'error');
      await upstream('finalize', { operation: 'FINALIZE_UPSTREAM' }, 'ok');
      await upstream('finalize twice', { operation: 'FINALIZE_UPSTREAM' }, 'error');
      await upstream('file after finalize', file(`late${round}.txt`, content), 'error');
    }
    await socket.close();

    // Still up, still answering, memory bounded, and nothing changed outside the state directory.
    const check = await FuzzSocket.open(daemon.url, daemon.token);
    const ping = await check.exchange(JSON.stringify({ operation: 'PING', id: 1 }), false, 1);
    await check.close();
    expect(ping.kind === 'message' && ping.message.status).toBe('ok');
    expect(daemon.proc.exitCode).toBeNull();
    const rssAfter = vmRssBytes(daemon.pid);
    const after = { root: await treeDigest(root), sibling: await treeDigest(sibling), parent: (await readdir(parent)).sort() };

    const summary = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v}`).join('\n');
    console.log(
      `fuzz: ${sent} messages sent (seed ${SEED}); daemon RSS ${mib(rssStart)} at the start, ${mib(rssBefore)} at most during the heaviest ones, ` +
        `${mib(rssAfter)} after all of them\n${summary}`,
    );
    expect(internal).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(5000);
    expect(after).toEqual(before);
    expect(rssAfter - rssBefore).toBeLessThan(48 * 1024 * 1024);
    expect(daemon.stderr()).not.toMatch(/request failed|upstream staging failed|uncaught|unhandled/i);
  });
});
