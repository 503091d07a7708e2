/** Builds the web app into web/dist, which `dastern serve` serves at / (src/http/web-app.ts). */
import path from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: path.join(root, 'public'),
  logLevel: 'warn',
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  plugins: [
    react(),
    VitePWA({
      injectRegister: false,
      registerType: 'autoUpdate',
      manifest: {
        name: 'DasTern',
        short_name: 'DasTern',
        description: 'ថ្នាំ តាមវេជ្ជបញ្ជា — prescriptions, reminders, doctor follow-up',
        lang: 'km',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#0f5e9c',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The shell (HTML, JS, CSS, fonts, icons) opens offline; client routes fall back to it.
        globPatterns: ['**/*.{js,css,html,woff2,png,svg}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/docs/, /^\/metrics/],
        // Web Push: the push and notificationclick handlers (public/push-sw.js).
        importScripts: ['/push-sw.js'],
        // The FormatJS polyfills and their locale data are loaded only for Khmer (intl.ts);
        // precached all the same, so Khmer dates and digits work offline.
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
        // Today's doses and the medicine list are shown from the last answer when offline.
        runtimeCaching: [
          {
            urlPattern: ({ url }) =>
              ['/api/v1/reminders/today', '/api/v1/reminders', '/api/v1/me', '/api/v1/medications'].includes(
                url.pathname,
              ),
            handler: 'NetworkFirst',
            options: { cacheName: 'dastern-today', networkTimeoutSeconds: 5, expiration: { maxEntries: 20 } },
          },
        ],
      },
    }),
  ],
});
