import type { Logger } from '@zync/common';
import { describe, expect, it, vi } from 'vitest';
import { HOUSEKEEPING, StateDiskNotice } from './state-disk.js';

const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
const CLIENTS = "the clients' contacts";

function notice() {
  const log = { error: vi.fn(), info: vi.fn(), debug: vi.fn(), warn: vi.fn() };
  return { log, disk: new StateDiskNotice('/state/sync.db', log as unknown as Logger) };
}
const roomAgain = (log: ReturnType<typeof notice>['log']) => log.info.mock.calls.filter(([m]) => String(m).includes('has room again')).length;

describe('StateDiskNotice', () => {
  it.each<{ name: string; steps: (disk: StateDiskNotice) => void; room: number }>([
    { name: 'a write of the refused kind ends the spell', steps: (d) => (d.failed(full()), d.wrote()), room: 1 },
    { name: "a client's note that fits does not, while changes wait (before: 'room again' at once)", steps: (d) => (d.failed(full()), d.wrote(CLIENTS)), room: 0 },
    { name: 'the clients\' note written again ends a spell of its own', steps: (d) => (d.failed(full(), CLIENTS), d.wrote(CLIENTS)), room: 1 },
    { name: 'both refused: not ended by a note, ended by the changes written', steps: (d) => (d.failed(full()), d.failed(full(), CLIENTS), d.wrote(CLIENTS), d.wrote()), room: 1 },
    { name: 'both refused, the changes written: room again, notes included', steps: (d) => (d.failed(full()), d.failed(full(), CLIENTS), d.wrote(), d.wrote(CLIENTS)), room: 1 },
    { name: 'a write with nothing refused says nothing', steps: (d) => (d.wrote(), d.wrote(CLIENTS), d.wrote(HOUSEKEEPING)), room: 0 },
    { name: 'housekeeping refused, then a pass that goes through: room again on a quiet E (before: never)', steps: (d) => (d.failed(full(), undefined, HOUSEKEEPING), d.wrote(HOUSEKEEPING)), room: 1 },
    { name: 'a housekeeping pass that goes through does not end refused changes', steps: (d) => (d.failed(full(), undefined, HOUSEKEEPING), d.failed(full()), d.wrote(HOUSEKEEPING)), room: 0 },
  ])('$name', ({ steps, room }) => {
    const { log, disk } = notice();
    steps(disk);
    expect(roomAgain(log)).toBe(room);
  });

  it('says a refused start-up scan once, the rescans retried after it not again, and tells clients changes wait', () => {
    const { log, disk } = notice();
    expect(disk.scanRefused(full())?.code).toBe('DISK_FULL');
    disk.failed(full());
    expect(log.error).toHaveBeenCalledOnce();
    expect(String(log.error.mock.calls[0]?.[1])).toMatch(/cannot record the changes made in the roots while it was stopped/);
    expect(disk.changesWaiting).toBe(true);
    disk.wrote();
    expect(disk.changesWaiting).toBe(false);
    expect(roomAgain(log)).toBe(1);
  });

  it('a start-up scan that failed for another reason is not a full disk', () => {
    const { log, disk } = notice();
    expect(disk.scanRefused(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBeNull();
    expect(log.error).not.toHaveBeenCalled();
    expect(disk.changesWaiting).toBe(false);
  });

  it('says the next spell at error once housekeeping ended the one it opened (before: at debug)', () => {
    const { log, disk } = notice();
    disk.failed(full(), undefined, HOUSEKEEPING);
    disk.wrote(HOUSEKEEPING);
    disk.failed(full());
    expect(log.error).toHaveBeenCalledTimes(2);
  });

  it("keeps a spell going across a client's note: the refused changes are not said again", () => {
    const { log, disk } = notice();
    disk.failed(full());
    disk.wrote(CLIENTS);
    disk.failed(full());
    expect(log.error).toHaveBeenCalledOnce();
  });
});
