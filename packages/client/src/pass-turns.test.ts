import { describe, expect, it } from 'vitest';
import { PassTurns, TurnWithdrawn } from './pass-turns.js';

const later = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('PassTurns', () => {
  it('never runs an upstream pass during a pull, and asks for a pull after it', async () => {
    const turns = new PassTurns();
    const order: string[] = [];
    let wanted = 0;
    turns.onPullWanted(() => wanted++);
    const pulling = later();
    const pull = turns.pull(async () => {
      order.push('pull start');
      await pulling.promise;
      order.push('pull end');
    });
    const upstream = turns.upstream(async () => {
      expect(turns.running).toBe('upstream');
      order.push('upstream');
    });
    await Promise.resolve();
    expect(turns.running).toBe('pull');
    pulling.resolve();
    await Promise.all([pull, upstream]);
    expect(order).toEqual(['pull start', 'pull end', 'upstream']);
    expect(wanted).toBe(1);
    expect(turns.running).toBeNull();
  });

  it('goes on after a pass that failed', async () => {
    const turns = new PassTurns();
    await expect(turns.pull(() => Promise.reject(new Error('tunnel down')))).rejects.toThrow('tunnel down');
    await expect(turns.upstream(() => Promise.resolve(7))).resolves.toBe(7);
  });

  it('waits for the next pull to end, asking for it, or for the stop', async () => {
    const turns = new PassTurns();
    let wanted = 0;
    turns.onPullWanted(() => wanted++);
    let ended = false;
    const waiting = turns.nextPullEnd(new AbortController().signal).then(() => (ended = true));
    expect(wanted).toBe(1);
    await Promise.resolve();
    expect(ended).toBe(false);
    await turns.pull(() => Promise.resolve());
    await waiting;
    expect(ended).toBe(true);

    const stop = new AbortController();
    const stopped = turns.nextPullEnd(stop.signal);
    stop.abort();
    await stopped;
  });

  it('withdraws a waiting upstream turn as soon as its signal aborts, without waiting for the pull', async () => {
    const turns = new PassTurns();
    let wanted = 0;
    turns.onPullWanted(() => wanted++);
    const pulling = later();
    const pull = turns.pull(() => pulling.promise);
    const cancel = new AbortController();
    let ran = false;
    const upstream = turns.upstream(async () => {
      ran = true;
    }, cancel.signal);
    const next = turns.upstream(() => Promise.resolve('next'));
    cancel.abort();
    await expect(upstream).rejects.toBeInstanceOf(TurnWithdrawn);
    expect(turns.running).toBe('pull');
    pulling.resolve();
    await pull;
    // The turn after it still comes, once the pull ends; the withdrawn one never runs.
    await expect(next).resolves.toBe('next');
    expect(ran).toBe(false);
    expect(wanted).toBe(1);
    await expect(turns.upstream(() => Promise.resolve(1), cancel.signal)).rejects.toBeInstanceOf(TurnWithdrawn);
  });

  it('leaves a turn that started to its pass when its signal aborts', async () => {
    const turns = new PassTurns();
    const cancel = new AbortController();
    const upstream = turns.upstream(async () => {
      cancel.abort();
      return 'finished';
    }, cancel.signal);
    await expect(upstream).resolves.toBe('finished');
  });

  it('holds a turn for a start that waits for an upload under way, and lets the next turn run once released', async () => {
    const turns = new PassTurns();
    const order: string[] = [];
    const uploading = later();
    const upload = turns.upstream(async () => {
      order.push('upload start');
      await uploading.promise;
      order.push('upload end');
    });
    const held = turns.hold(new AbortController().signal).then((release) => {
      order.push('start');
      return release;
    });
    const pull = turns.pull(async () => void order.push('pull'));
    await Promise.resolve();
    uploading.resolve();
    const release = await held;
    await upload;
    expect(turns.running).toBe('pull');
    expect(order).toEqual(['upload start', 'upload end', 'start']);
    release();
    await pull;
    expect(order).toEqual(['upload start', 'upload end', 'start', 'pull']);
  });

  it('lets an upload handed over during a start run only after the pull that follows the start', async () => {
    const turns = new PassTurns();
    const order: string[] = [];
    const release = await turns.hold(new AbortController().signal);
    const upload = turns.upstream(async () => void order.push('upload'));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    // The start's work (a moved root's records dropped) is a pull's to finish: nothing ran yet.
    expect(order).toEqual([]);
    expect(turns.running).toBeNull();
    await turns.pull(async () => void order.push('pull'));
    await upload;
    expect(order).toEqual(['pull', 'upload']);
  });

  it('lets the waits for a pull end when the runner misses it (E unreachable), not when E comes back', async () => {
    const turns = new PassTurns();
    const order: string[] = [];
    const release = await turns.hold(new AbortController().signal);
    const upload = turns.upstream(async () => void order.push('upload'));
    const pullEnd = turns.nextPullEnd(new AbortController().signal).then(() => void order.push('pull end waited for'));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    turns.pullMissed();
    await Promise.all([upload, pullEnd]);
    expect(order.sort()).toEqual(['pull end waited for', 'upload']);
  });

  it('withdraws a hold whose signal aborts while it waits', async () => {
    const turns = new PassTurns();
    const uploading = later();
    const upload = turns.upstream(() => uploading.promise);
    const stop = new AbortController();
    const held = turns.hold(stop.signal);
    stop.abort();
    await expect(held).rejects.toBeInstanceOf(TurnWithdrawn);
    uploading.resolve();
    await upload;
    expect(turns.running).toBeNull();
  });
});
