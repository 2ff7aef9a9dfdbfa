// Turns between a running client's pull passes and the upstream passes one-shots hand to it: one
// at a time, in the order asked, since both read and write R's roots and the client store (a pull
// writing a file while the upload hashes it would send half of it, or stage as R's edit what E
// just sent). An upstream turn asks for a pull after it (E may have logged changes meanwhile);
// one may also wait for the next pull to end (R must pull before it can send).

export class PassTurns {
  private tail: Promise<void> = Promise.resolve();
  private busy: 'pull' | 'upstream' | null = null;
  private readonly pullWanted = new Set<() => void>();
  private pullEnded: (() => void)[] = [];

  /** What runs now, if anything: a hand-off says so when it has to wait. */
  get running(): 'pull' | 'upstream' | null {
    return this.busy;
  }

  /** Runs a pull pass in its turn. */
  pull<T>(pass: () => Promise<T>): Promise<T> {
    return this.take('pull', pass).finally(() => {
      const waiting = this.pullEnded;
      this.pullEnded = [];
      for (const resolve of waiting) resolve();
    });
  }

  /** Runs an upstream pass in its turn, then asks for a pull. */
  upstream<T>(pass: () => Promise<T>): Promise<T> {
    return this.take('upstream', pass).finally(() => this.wantPull());
  }

  /** The runner's pass loop listens here: a pull is wanted as soon as it can run. */
  onPullWanted(listener: () => void): () => void {
    this.pullWanted.add(listener);
    return () => this.pullWanted.delete(listener);
  }

  wantPull(): void {
    for (const listener of this.pullWanted) listener();
  }

  /** Resolves once the next pull pass has ended (whatever its outcome), or when `signal` aborts. */
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

  private take<T>(kind: 'pull' | 'upstream', pass: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      this.busy = kind;
      try {
        return await pass();
      } finally {
        this.busy = null;
      }
    });
    // The next turn waits for this one, whatever its outcome.
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
