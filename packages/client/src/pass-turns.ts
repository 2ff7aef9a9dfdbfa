// Turns between a running client's pull passes and the upstream passes one-shots hand to it: one
// at a time, in the order asked, since both read and write R's roots and the client store (a pull
// writing a file while the upload hashes it would send half of it, or stage as R's edit what E
// just sent). An upstream turn asks for a pull after it (E may have logged changes meanwhile);
// one may also wait for the next pull to end (R must pull before it can send). A turn still
// waiting is withdrawn when its signal aborts (Ctrl-C on the one-shot): it does not wait for the
// passes before it. At most one pull and one turn per hand-off connection wait, so the queue is
// bounded by the hand-off server's connection limit.

/** A turn withdrawn while it waited: its pass never ran. */
export class TurnWithdrawn extends Error {
  constructor() {
    super('withdrawn before its turn');
    this.name = 'TurnWithdrawn';
  }
}

export class PassTurns {
  /** Each waiting turn's start, in the order asked. */
  private readonly waiting: { kind: 'pull' | 'upstream'; start: () => void }[] = [];
  private busy: 'pull' | 'upstream' | null = null;
  /**
   * Set when a start's hold ends, until a pull starts: its work (binding R's roots, which may drop
   * a moved root's records) is only complete once a pull has followed it, so no upload goes first.
   */
  private pullOwed = false;
  private readonly pullWanted = new Set<() => void>();
  private pullEnded: (() => void)[] = [];

  /** What runs now, if anything: a hand-off says so when it has to wait. */
  get running(): 'pull' | 'upstream' | null {
    return this.busy;
  }

  /** Runs a pull pass in its turn. */
  pull<T>(pass: () => Promise<T>): Promise<T> {
    return this.take('pull', () => {
      this.pullOwed = false;
      return pass();
    }).finally(() => {
      const waiting = this.pullEnded;
      this.pullEnded = [];
      for (const resolve of waiting) resolve();
    });
  }

  /**
   * Runs an upstream pass in its turn, then asks for a pull. Rejects with TurnWithdrawn, at once,
   * when `signal` aborts before the turn came; once the pass runs, it is the pass's to stop.
   */
  async upstream<T>(pass: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let ran = false;
    try {
      return await this.take(
        'upstream',
        () => {
          ran = true;
          return pass();
        },
        signal,
      );
    } finally {
      if (ran) this.wantPull();
    }
  }

  /**
   * Holds a pull's turn until the returned function is called: a running client's start (after
   * its first connection, before its first pass: it binds and prepares R's roots), which an upload
   * handed over while it still connected must not overlap. After it, uploads wait for a pull to
   * start (or to be missed): what the start prepared (a moved root resynced, say) is a pull's to
   * finish, and an upload in between would send E's files as R's. Rejects with TurnWithdrawn when
   * `signal` aborts before the turn came.
   */
  hold(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const held = () =>
        new Promise<void>((release) =>
          resolve(() => {
            this.pullOwed = true;
            release();
          }),
        );
      this.take('pull', held, signal).catch(reject);
    });
  }

  /**
   * The runner could not pull: E unreachable, or the connection lost before a pass. What waits
   * for a pull is not left waiting for as long as E stays away: a wait for the next pull's end
   * ends (the upload tries again, with its own connection, and fails as an in-process one would),
   * and after a start's hold uploads may go first — what the start left for a pull to finish (a
   * moved root's records dropped) the upload refuses by itself (upstream/index.ts).
   */
  pullMissed(): void {
    this.pullOwed = false;
    const waiting = this.pullEnded;
    this.pullEnded = [];
    for (const resolve of waiting) resolve();
    this.startNext();
  }

  /** The runner's pass loop listens here: a pull is wanted as soon as it can run. */
  onPullWanted(listener: () => void): () => void {
    this.pullWanted.add(listener);
    return () => this.pullWanted.delete(listener);
  }

  wantPull(): void {
    for (const listener of this.pullWanted) listener();
  }

  /**
   * Resolves once the next pull pass has ended (whatever its outcome), or the runner missed it
   * (pullMissed), or when `signal` aborts.
   */
  nextPullEnd(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', done, { once: true });
      this.pullEnded.push(done);
      this.wantPull();
    });
  }

  private take<T>(kind: 'pull' | 'upstream', pass: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(new TurnWithdrawn());
      const withdraw = () => {
        const at = this.waiting.findIndex((turn) => turn.start === start);
        if (at === -1) return; // already started
        this.waiting.splice(at, 1);
        reject(new TurnWithdrawn());
      };
      const start = () => {
        signal?.removeEventListener('abort', withdraw);
        this.busy = kind;
        // The next turn starts once this one ends, whatever its outcome.
        new Promise<T>((ran) => ran(pass()))
          .then(resolve, reject)
          .finally(() => {
            this.busy = null;
            this.startNext();
          });
      };
      signal?.addEventListener('abort', withdraw, { once: true });
      this.waiting.push({ kind, start });
      this.startNext();
    });
  }

  private startNext(): void {
    if (this.busy !== null) return;
    const at = this.pullOwed ? this.waiting.findIndex((turn) => turn.kind === 'pull') : 0;
    if (at === -1) return;
    this.waiting.splice(at, 1)[0]?.start();
  }
}
