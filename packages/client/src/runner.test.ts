// The runner's reaction to a pass that left changes unapplied: --once maps a full disk to
// DISK_FULL (exit 7) with one sentence, a root whose disk seems not mounted to ROOT_NOT_MOUNTED
// (exit 12), other failures to "run again"; continuous mode backs off.
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@zync/common';
import type { Problem } from './apply-batch.js';
import { describeClose, type Connection } from './connection.js';
import type { MissingRoot } from './core/missing-roots.js';
import type { PassSummary, PullEngine } from './pull-engine.js';
import { PassTurns } from './pass-turns.js';
import { CONFLICT_COPIES_NOTE, CONFLICT_COPIES_WHERE_E_DIR_NOTE, CONFLICT_DIR_COPIES_NOTE, ROOM_AGAIN_NOTE, conflictNotes, connectFirst, runContinuous, runOnce, stateFullWarning } from './runner.js';
import { RUN_AGAIN_ADVICE } from './store/client-store.js';
import { ZyncError } from '@zync/common';

const summary = (failed: Problem[], held: MissingRoot[]): PassSummary => ({
  downloaded: 3,
  resumed: 0,
  extended: 0,
  copied: 0,
  bytes: 0,
  deleted: 0,
  dirsCreated: 0,
  dirsDeleted: 0,
  attributes: 0,
  conflicts: [],
  problems: [],
  failed,
  sequence: 7,
  upToDate: failed.length === 0,
  resynced: false,
  held,
  gone: [],
  unavailableOnE: [],
  unloggedOnE: false,
  unserved: [],
  endedWaits: [],
});

const problem = (path: string, code: string): Problem => ({ base_dir: 'docs', path, sequence: 9, code, message: `${code} for ${path}` });

function once(failed: Problem[], held: MissingRoot[] = []) {
  const connection = { close: async () => undefined } as unknown as Connection;
  const engine = { pass: async () => summary(failed, held) } as unknown as PullEngine;
  return runOnce({ engine, connect: async () => connection, logger: createLogger('test', 'silent'), signal: new AbortController().signal, intervalSeconds: 60 });
}

describe('runOnce', () => {
  it.each<[string, Problem[], string, RegExp]>([
    [
      'a full disk is DISK_FULL, naming the first change that did not fit',
      [problem('big.bin', 'DISK_FULL'), problem('other.bin', 'DISK_FULL')],
      'DISK_FULL',
      /^No space left on R's disk: 2 change\(s\) could not be written \(the first: docs\/big\.bin\); nothing partial was kept — free some space and run again\.$/,
    ],
    ['a file that kept changing asks to run again', [problem('log.txt', 'FILE_CHANGED')], 'FILE_CHANGED', /^1 change\(s\) could not be applied yet .*run again\.$/],
    ['a full disk wins over other failures', [problem('log.txt', 'FILE_CHANGED'), problem('big.bin', 'DISK_FULL')], 'DISK_FULL', /the first: docs\/big\.bin/],
  ])('%s', async (_name, failed, code, message) => {
    const err = await once(failed).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code });
    expect(err!.message).toMatch(message);
  });

  const usb = { name: 'usb', root: '/mnt/usb' };
  it.each<[string, Problem[], string]>([
    ['a root held, the others up to date, is ROOT_NOT_MOUNTED', [], 'ROOT_NOT_MOUNTED'],
    ['a root held wins over a file that kept changing', [problem('log.txt', 'FILE_CHANGED')], 'ROOT_NOT_MOUNTED'],
    ['a full disk wins over a root held', [problem('big.bin', 'DISK_FULL')], 'DISK_FULL'],
  ])('%s', async (_name, failed, code) => {
    const err = await once(failed, [usb]).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code });
    if (code === 'ROOT_NOT_MOUNTED') expect(err!.message).toMatch(/^The local directory for "usb" \(\/mnt\/usb\) .*seems not mounted/);
  });

  it('resolves when up to date', async () => {
    await expect(once([])).resolves.toMatchObject({ upToDate: true });
  });
});

describe('connectFirst', () => {
  const logger = createLogger('test', 'silent');
  const connection = { close: async () => undefined } as unknown as Connection;
  const unreachable = () => new ZyncError('CONNECTION_FAILED', 'Cannot reach the daemon.');

  it('gives up on the first failure without retry (--once)', async () => {
    let calls = 0;
    const connect = async () => {
      calls++;
      throw unreachable();
    };
    await expect(connectFirst({ connect, logger, signal: new AbortController().signal, retry: false })).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(calls).toBe(1);
  });

  it('rejects at once on a refused token even with retry', async () => {
    const connect = async () => {
      throw new ZyncError('UNAUTHORIZED', 'refused');
    };
    await expect(connectFirst({ connect, logger, signal: new AbortController().signal, retry: true })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('retries an unreachable daemon until it answers (continuous)', async () => {
    let calls = 0;
    const connect = async () => {
      if (++calls < 2) throw unreachable();
      return connection;
    };
    await expect(connectFirst({ connect, logger, signal: new AbortController().signal, retry: true })).resolves.toBe(connection);
    expect(calls).toBe(2);
  });

  it('warns of an unreachable daemon once per reason, the identical retries at debug only', async () => {
    const lines: { level: string; text: string }[] = [];
    const note = (level: string) => (text: string) => void lines.push({ level, text });
    const capture = { warn: note('warn'), info: note('info'), debug: note('debug'), error: note('error') } as unknown as Logger;
    const reasons = ['Cannot reach the daemon: refused.', 'Cannot reach the daemon: refused.', 'Cannot reach the daemon: refused.', 'Cannot reach the daemon: timed out.'];
    let calls = 0;
    const connect = async () => {
      const reason = reasons[calls++];
      if (reason) throw new ZyncError('CONNECTION_FAILED', reason);
      return connection;
    };
    await expect(connectFirst({ connect, logger: capture, signal: new AbortController().signal, retry: true })).resolves.toBe(connection);
    expect(lines.map((l) => `${l.level} ${l.text.replace(/Retrying in [\d.]+ s\./, 'Retrying.')}`)).toEqual([
      'warn Cannot reach the daemon: refused. Retrying.',
      'debug Cannot reach the daemon: refused. Retrying.',
      'debug Cannot reach the daemon: refused. Retrying.',
      'warn Cannot reach the daemon: timed out. Retrying.',
    ]);
  });

  it('resolves null once stopped, closing a connection that opened meanwhile', async () => {
    const controller = new AbortController();
    let closed = false;
    const connect = async () => {
      controller.abort();
      return { close: async () => void (closed = true) } as unknown as Connection;
    };
    await expect(connectFirst({ connect, logger, signal: controller.signal, retry: false })).resolves.toBeNull();
    expect(closed).toBe(true);
  });
});

describe('runContinuous', () => {
  // A running client's lines after connecting name the daemon as its connection failures do.
  it('names the port an address without one goes to when it connects and when the connection is cut', async () => {
    const controller = new AbortController();
    const lines: [string, string][] = [];
    const at = (level: string) => (message: unknown) => {
      lines.push([level, String(message)]);
      if (String(message).startsWith('disconnected')) controller.abort(); // before the backoff's wait
    };
    const logger = { info: at('info'), debug: at('debug'), warn: at('warn'), error: at('error') } as unknown as Logger;
    const url = 'ws://127.0.0.1';
    const connection = {
      url,
      hello: { log_id: 'L', last_sequence: 7 },
      isOpen: true,
      onPush: () => () => undefined,
      onClose: () => () => undefined,
      close: async () => undefined,
    } as unknown as Connection;
    const engine = {
      pass: async () => {
        throw new ZyncError('CONNECTION_FAILED', describeClose(url, 1006, ''));
      },
    } as unknown as PullEngine;
    await runContinuous({ engine, connect: async () => connection, logger, signal: controller.signal, intervalSeconds: 60 });
    expect(lines).toContainEqual(['info', 'connected to ws://127.0.0.1 (port 80) (log L, sequence 7)']);
    expect(lines).toContainEqual(['warn', 'The connection to the daemon at ws://127.0.0.1 (port 80) was cut (the daemon stopped, or the network or tunnel dropped).']);
  });

  // Idle passes every --interval would otherwise log 1,440 info lines a day at the default.
  it('logs a pass that changed nothing at debug, but the first on a connection and any that did something at info', async () => {
    const idle = { ...summary([], []), downloaded: 0 };
    const lines = await runPasses([idle, idle, summary([], []), idle]);
    expect(lines.filter(([, line]) => line.startsWith('pull:')).map(([level, line]) => [level, /^pull: (\d+) file/.exec(line)![1]])).toEqual([
      ['info', '0'],
      ['debug', '0'],
      ['info', '3'],
      ['debug', '0'],
    ]);
  });
});

describe('runContinuous taking turns with upstream passes handed to it', () => {
  it('never pulls during an upstream pass, and pulls once more after it', async () => {
    const controller = new AbortController();
    const turns = new PassTurns();
    const events: string[] = [];
    let releaseUpload!: () => void;
    const upload = turns.upstream(
      () =>
        new Promise<void>((resolve) => {
          events.push('upload start');
          releaseUpload = () => {
            events.push('upload end');
            resolve();
          };
        }),
    );
    const connection = {
      url: 'ws://127.0.0.1:8000',
      hello: { log_id: 'L', last_sequence: 7 },
      isOpen: true,
      onPush: () => () => undefined,
      onClose: () => () => undefined,
      close: async () => undefined,
    } as unknown as Connection;
    let passes = 0;
    const engine = {
      pass: async () => {
        events.push('pull');
        if (++passes === 2) controller.abort();
        return summary([], []);
      },
    } as unknown as PullEngine;
    const running = runContinuous({ engine, connect: async () => connection, logger: createLogger('test', 'silent'), signal: controller.signal, intervalSeconds: 60, turns });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['upload start']);
    releaseUpload();
    await upload;
    await running;
    expect(events).toEqual(['upload start', 'upload end', 'pull', 'pull']);
  });
});

describe('runContinuous telling what a pass left to do', () => {
  it('says how to send R\'s version after a pass that made conflict copies, and only then', async () => {
    const withConflict = { ...summary([], []), conflicts: [{ base_dir: 'docs', path: 'x.txt', copy: 'x.zync-conflict-20261124-160000-R.txt', reason: 'E changed it' }] };
    const lines = await runPasses([summary([], []), withConflict, summary([], [])]);
    expect(lines.filter(([, line]) => line === CONFLICT_COPIES_NOTE)).toEqual([['info', CONFLICT_COPIES_NOTE]]);
  });

  it('advises for a directory copy what fits a directory, and for file copies what fits a file', () => {
    expect(conflictNotes([])).toEqual([]);
    expect(conflictNotes([{}])).toEqual([CONFLICT_COPIES_NOTE]);
    expect(conflictNotes([{ dir: true }])).toEqual([CONFLICT_DIR_COPIES_NOTE]);
    expect(conflictNotes([{ dir: true }, {}, {}])).toEqual([CONFLICT_COPIES_NOTE, CONFLICT_DIR_COPIES_NOTE]);
    // R's file kept where E made a directory: no file to move the copy over.
    expect(conflictNotes([{ eDir: true }])).toEqual([CONFLICT_COPIES_WHERE_E_DIR_NOTE]);
    expect(conflictNotes([{ eDir: true }, {}, { dir: true }])).toEqual([CONFLICT_COPIES_NOTE, CONFLICT_COPIES_WHERE_E_DIR_NOTE, CONFLICT_DIR_COPIES_NOTE]);
  });

  it('remembers E\'s unavailable roots across a reconnection: one warning, one note when back', async () => {
    const away = { ...summary([], []), downloaded: 0, unavailableOnE: ['docs'] };
    const back = { ...summary([], []), downloaded: 0 };
    const lines = await runPasses([away, away], [away, back]);
    expect(lines.filter(([, line]) => line.includes('"docs"')).map(([level]) => level)).toEqual(['warn', 'info']);
  });
});

/**
 * Runs a continuous client over one connection per list of passes (the next connection opens
 * once a list is used up), then stops; the lines it logged, by level.
 */
async function runPasses(...connections: PassSummary[][]): Promise<[string, string][]> {
  const controller = new AbortController();
  const lines: [string, string][] = [];
  // A coded warning is logged as (fields, message).
  const at = (level: string) => (first: unknown, second?: unknown) => void lines.push([level, String(second ?? first)]);
  const logger = { info: at('info'), debug: at('debug'), warn: at('warn'), error: at('error') } as unknown as Logger;
  let open = false;
  const connection = {
    url: 'ws://x',
    hello: { log_id: 'L', last_sequence: 7 },
    get isOpen() {
      return open;
    },
    onPush: () => () => undefined,
    onClose: () => () => undefined,
    close: async () => void (open = false),
  } as unknown as Connection;
  const engine = {
    pass: async () => {
      const passes = connections[0]!;
      const next = passes.shift()!;
      if (passes.length === 0) {
        connections.shift();
        if (connections.length === 0) controller.abort();
        else open = false; // cut: the runner reconnects
      }
      return next;
    },
  } as unknown as PullEngine;
  const connect = async () => {
    open = true;
    return connection;
  };
  await runContinuous({ engine, connect, logger, signal: controller.signal, intervalSeconds: 0.005 });
  return lines;
}

describe('runContinuous with a root of R held off its disk', () => {
  // Every --interval and every push runs a pass: one warning each, all day, while a disk stays unplugged.
  it('warns when it is held, says once when it is back, and warns again if it goes again', async () => {
    const usb = { name: 'usb', root: '/mnt/usb' };
    const idle = (held: MissingRoot[]) => ({ ...summary([], held), downloaded: 0 });
    const lines = await runPasses([idle([usb]), idle([usb]), idle([{ ...usb }]), idle([]), idle([]), idle([usb]), idle([usb])]);
    expect(lines.filter(([, line]) => line.includes('"usb"'))).toEqual([
      ['warn', expect.stringMatching(/^The local directory for "usb" \(\/mnt\/usb\) is not on the disk it was synced on/)],
      ['info', 'The local directory for "usb" (/mnt/usb) is on the disk it was synced on again; R catches up with it by a full resync.'],
      ['warn', expect.stringMatching(/^The local directory for "usb" \(\/mnt\/usb\) is not on the disk it was synced on/)],
    ]);
    // Nor is the pass line at info each time: only the first on the connection's.
    expect(lines.filter(([, line]) => line.startsWith('pull:')).map(([level]) => level)).toEqual(['info', 'debug', 'debug', 'debug', 'debug', 'debug', 'debug']);
  });
});

describe('runContinuous with files that do not fit on R\'s disk', () => {
  // Each push from E makes a pass that meets them again: before, a warning and an info line each.
  it('warns once while they wait (across a reconnection), the passes meeting them again at debug, one line when none waits', async () => {
    const full = { ...summary([problem('big.bin', 'DISK_FULL')], []), downloaded: 0 };
    const lines = await runPasses([full, full, full], [full, summary([], [])]);
    const room = lines.filter(([, line]) => line.startsWith("No space left on R's disk") || line === ROOM_AGAIN_NOTE);
    expect(room.map(([level]) => level)).toEqual(['warn', 'debug', 'debug', 'debug', 'info']);
    expect(room[0]![1]).toBe(
      "No space left on R's disk: 1 change(s) could not be written (docs/big.bin); nothing partial was kept — each is fetched again once R's disk has room for it.",
    );
    // The first pass on each connection at info, as always; the others meeting them again at debug.
    expect(lines.filter(([, line]) => line.startsWith('pull:')).map(([level]) => level)).toEqual(['info', 'debug', 'debug', 'info', 'info']);
  });
});

describe('stateFullWarning', () => {
  it('advises a running client, which tries again by itself, instead of "run again"', () => {
    const stored = `No space left on R's disk for the client database /r/state/sync_client.db; ${RUN_AGAIN_ADVICE}.`;
    expect(stateFullWarning(stored, 4000)).toBe(
      "No space left on R's disk for the client database /r/state/sync_client.db; free some space there: zync-client tries again by itself (next in 4 s, then less often, at least once a minute).",
    );
  });
});
