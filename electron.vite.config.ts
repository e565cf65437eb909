import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Three builds: the tray's main process, the preload, and the window (React).
export default defineConfig({
  main: {
    build: { outDir: 'out/main', rollupOptions: { input: resolve('electron/main.ts') } },
  },
  preload: {
    // A sandboxed preload cannot be an ES module.
    build: { outDir: 'out/preload', rollupOptions: { input: resolve('electron/preload.ts'), output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: { outDir: resolve('out/renderer'), rollupOptions: { input: resolve('renderer/index.html') } },
  },
});
