import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// One project per process kind, as the code runs: the daemon (native modules, so forked
// processes), the tray's main process (node, with `electron` mocked), and the window (jsdom;
// and in Chromium, e2e).
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
      {
        test: {
          name: 'electron',
          include: ['test/electron/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Hostile inputs an assistant under prompt injection could send, against a real daemon.
        test: {
          name: 'redteam',
          include: ['test/redteam/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Faults with calls in flight: full or read-only disk, keyring killed, 5xx storms, kill -9.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The window in real Chromium, bridged to a real daemon (npm run test:e2e: after a build).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.tsx'],
          environment: 'jsdom',
          testTimeout: 30_000,
        },
      },
    ],
  },
});
