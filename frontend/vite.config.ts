/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const backend = process.env.SHIPYARD_BACKEND_URL ?? 'http://127.0.0.1:8000';
const proxied = ['/api', '/serve', '/healthz', '/badge'];

/**
 * Writes a gzip and a Brotli copy next to every built script and stylesheet. WhiteNoise serves
 * them to browsers that accept them, from frontend/dist (development) as from collectstatic's
 * folder (images), so the assets travel compressed wherever Django serves them.
 */
function precompress(): Plugin {
  return {
    name: 'shipyard-precompress',
    apply: 'build',
    writeBundle(options) {
      const assets = join(options.dir ?? 'dist', 'assets');
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const body = readFileSync(join(assets, name));
        if (body.length < 1024) continue;
        writeFileSync(join(assets, `${name}.gz`), gzipSync(body, { level: 9 }));
        writeFileSync(
          join(assets, `${name}.br`),
          brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

// Django serves dist/index.html for every non-API path and the assets through
// WhiteNoise under /static/, so every built URL is prefixed with /static/.
export default defineConfig({
  base: '/static/',
  plugins: [react(), precompress()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Each route is its own chunk (src/app/routes.tsx); React, the one library every page
        // needs, keeps a long-lived chunk of its own. The other libraries split along the routes
        // that use them, so the first page does not download the charts or other pages' widgets.
        codeSplitting: {
          groups: [
            {
              name: 'react',
              test: /node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/,
              priority: 30,
              includeDependenciesRecursively: false,
            },
          ],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: backend, changeOrigin: false }])),
  },
  test: {
    environment: 'jsdom',
    globals: false,
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    restoreMocks: true,
    // the lazy routes import their chunk on first render; a loaded machine needs more than 5 s
    testTimeout: 15_000,
  },
});
