import { defineConfig } from 'vitest/config';

// One project per process kind. The daemon uses native modules (better-sqlite3, keytar),
// so its tests run in forked processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'daemon',
          include: ['test/daemon/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
