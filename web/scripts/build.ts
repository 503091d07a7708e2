/**
 * Builds the web app (vite build → web/dist). Runs at `npm ci` (the `prepare` script), so that
 * `npm start` serves the app on a fresh clone with no extra command. Without the development
 * dependencies (`npm ci --omit=dev`) there is nothing to build with: one line says so and the
 * install goes on; the server then answers / with a page saying the app is not built.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const config = path.resolve(import.meta.dirname, '../vite.config.ts');

let vite: typeof import('vite');
try {
  require.resolve('vite');
  vite = await import('vite');
} catch {
  console.log(
    'web: vite is not installed (production install?): the web app is not built; `npm run build:web` builds it',
  );
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: config, logLevel: 'warn' });
console.log(`web: built web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
