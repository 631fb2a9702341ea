// Builds the UI into web/dist, which deskgate serves (server.web_root). Hashed files go to /assets/, which
// deskgate caches for a year; index.html is revalidated on every load.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // noVNC uses top-level await: needs an ES2022 target.
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev` against a deskgate on :8080 (HTTP API and WebSockets).
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
      '/desktop': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
