import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console builds into web/dist, which the Firebreak server serves at / (src/http/console.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Firebreak runs on the operator's own network: no CDN, every asset from the server itself.
    assetsInlineLimit: 4096,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npx vite web` during development: the API is the running Firebreak.
    proxy: { '/api': 'http://localhost:8080', '/status': 'http://localhost:8080' },
  },
});
