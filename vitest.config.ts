// Three projects: fast unit tests beside the code, end-to-end tests that spawn the built
// binaries, and the fault-injection suite (`pnpm test:faults`).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'tests/faults/**'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Each file starts its own daemons on their own ports and temp dirs; two at a time
          // keeps a 2-core machine responsive enough for timing-sensitive assertions.
          maxConcurrency: 1,
          poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        },
      },
      {
        test: {
          name: 'faults',
          include: ['tests/faults/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        },
      },
    ],
  },
});
