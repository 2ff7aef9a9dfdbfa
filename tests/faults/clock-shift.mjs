// Preload for the clock fault tests (node --import): shifts this process's wall clock — Date.now(),
// new Date() and Date() — by ZYNC_CLOCK_SHIFT_MS milliseconds, as if the machine's clock were
// set wrong; with ZYNC_CLOCK_JUMP_MS, each SIGUSR2 moves it by that much more (a clock stepped
// by NTP or a resumed VM). Monotonic clocks (performance.now, timers) and the kernel's file
// times are left alone; the tests shift file times themselves where a wrong clock would.
let shift = Number(process.env.ZYNC_CLOCK_SHIFT_MS ?? 0);
const RealDate = globalThis.Date;
if (process.env.ZYNC_CLOCK_JUMP_MS) {
  const jump = Number(process.env.ZYNC_CLOCK_JUMP_MS);
  process.on('SIGUSR2', () => {
    shift += jump;
  });
}

class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + shift);
    else super(...args);
  }

  static now() {
    return RealDate.now() + shift;
  }
}

globalThis.Date = new Proxy(ShiftedDate, {
  // Date() called without new returns the current time as a string.
  apply: () => new ShiftedDate().toString(),
});
