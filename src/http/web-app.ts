/**
 * Serves the web app (web/dist, built by `vite build` at install) at / on the API's origin:
 * the built files, and index.html for the app's client routes (/verify-email, /reset-password,
 * /notifications/…, /settings: the links in our e-mails). /api, /docs and /metrics keep their
 * own routes and their problem+json 404s. Hashed assets are cached for a year; the HTML, the
 * service worker and the manifest are revalidated on each load.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that belong to the server, never to the app. */
const SERVER_PATHS = /^\/(api|docs|metrics)(\/|$)/;

interface WebFile {
  bytes: Buffer;
  type: string;
}

function loadFiles(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const type = TYPES[path.extname(entry.name)];
        if (type !== undefined)
          files.set('/' + path.relative(dir, full).split(path.sep).join('/'), { bytes: fs.readFileSync(full), type });
      }
    }
  };
  walk(dir);
  return files;
}

const NOT_BUILT =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>DasTern</title><h1>DasTern</h1><p>The web app is not built. Run <code>npm run build:web</code> (it runs at <code>npm ci</code> when the development dependencies are installed) and restart.</p></html>';

export async function webApp(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? WEB_DIST;
  const files = fs.existsSync(path.join(dir, 'index.html')) ? loadFiles(dir) : null;
  if (files === null) app.log.warn({ dir }, 'web app not built: / answers 503 (npm run build:web)');
  const index = files?.get('/index.html');

  const send = (reply: FastifyReply, file: WebFile, cache: string) =>
    reply.code(200).type(file.type).header('cache-control', cache).send(file.bytes);

  // An onRequest hook, not a catch-all route: requests no route matches stay "(no route)" in the
  // request log, and the server's own not-found handler keeps answering everything else.
  // Synchronous: it runs on every request, and for the API's (matched) ones does nothing.
  const answer = (request: FastifyRequest, reply: FastifyReply): boolean => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return false; // malformed escapes: the not-found handler answers
    }
    if (SERVER_PATHS.test(pathname)) return false;
    if (files === null || index === undefined) {
      void reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      return true;
    }
    const file = files.get(pathname);
    if (file !== undefined) {
      void send(reply, file, pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      return true;
    }
    // A missing file (a name with an extension) is the not-found handler's 404; anything else is
    // a client route of the app.
    if (path.extname(pathname) !== '') return false;
    void send(reply, index, 'no-cache');
    return true;
  };
  app.addHook('onRequest', (request, reply, done) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || request.routeOptions.url !== undefined) done();
    else if (!answer(request, reply)) done();
  });
}
