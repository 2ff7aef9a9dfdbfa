// Projects: fast unit tests beside the code, end-to-end tests that spawn the built binaries,
// and the fault-injection suite. `npm test` runs unit, e2e and a quick slice of the faults;
// `npm run test:faults` the whole fault suite; `npm run test:all` everything (what CI runs).
import { configDefaults, defineConfig } from 'vitest/config';

/** Fault tests cheap enough (seconds) to run on every `npm test`. */
const QUICK_FAULTS = ['auth', 'paths', 'tls', 'db-deleted', 'db-restored'].map((name) => `tests/faults/${name}.test.ts`);

// Each e2e file starts its own daemons on their own ports and temp dirs; two files at a time
// keep a 2-core machine responsive enough for the latency-sensitive assertions.
const e2eOptions = {
  testTimeout: 120_000,
  hookTimeout: 60_000,
  maxConcurrency: 1,
};

export default defineConfig({
  test: {
    // Vitest sizes its one pool of forks from the root config only (a project's poolOptions do
    // not change it), and by default to cores - 1: a single fork on a 2-core CI machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'tests/faults/**'],
          ...e2eOptions,
        },
      },
      { test: { name: 'faults-quick', include: QUICK_FAULTS, ...e2eOptions } },
      { test: { name: 'faults', include: ['tests/faults/**/*.test.ts'], ...e2eOptions, testTimeout: 180_000 } },
    ],
  },
});
