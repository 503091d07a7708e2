/**
 * The web app under test: `dastern serve` (startServer, in-process) on the file's real test
 * database, sending its mail to a real SMTP server (test/support/smtp.ts), and Debian's
 * Chromium driven by playwright-core (no browser download).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { WEB_DIST } from '../../src/http/web-app.ts';
import { freePort } from '../support/net.ts';
import { decodeMail, startSmtp, type Smtp } from '../support/smtp.ts';
import type { TestDatabase } from '../support/db.ts';

export const CHROMIUM = process.env.DASTERN_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const SHOTS = path.resolve(import.meta.dirname, '../../test-results/web');

function newest(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
    const full = path.join(dir, e.name);
    return Math.max(t, e.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }, 0);
}

/** web/dist as `npm ci` leaves it; built here when missing or older than web/src (an edit since). */
export function ensureBuilt(): void {
  const index = path.join(WEB_DIST, 'index.html');
  const fresh = () => fs.existsSync(index) && fs.statSync(index).mtimeMs >= newest(path.resolve(WEB_DIST, '../src'));
  if (fresh()) return;
  // Test files run in parallel: one builds, the others wait for its lock to go.
  const lock = path.resolve(WEB_DIST, '../.build.lock');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000)
        fs.rmSync(lock, { force: true }); // left by a killed run
      else Atomics.wait(nap, 0, 0, 250);
    }
  }
  try {
    // NODE_ENV is "test" here: inherited, Vite would build React's development bundle and
    // import.meta.env.PROD would be false (no service worker), unlike what `npm ci` builds.
    if (!fresh())
      execFileSync(
        process.execPath,
        ['--import', 'tsx', path.resolve(import.meta.dirname, '../../web/scripts/build.ts')],
        { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
      );
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export interface WebServer {
  url: string;
  smtp: Smtp;
  server: RunningServer;
  dir: string;
  stop(): Promise<void>;
}

/** `env`: more settings (e.g. a payment gateway pointed at a local fake). */
export async function startWebServer(t: TestDatabase, env: Record<string, string> = {}): Promise<WebServer> {
  ensureBuilt();
  const smtp = await startSmtp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-web-'));
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: t.ownerUrl,
    // both logins of this run: without one, the server would set a new password of its own on
    // that role, which is cluster-wide (other test files running now would lose their login)
    DASTERN_APP_DATABASE_URL: t.appUrl,
    DASTERN_WORKER_DATABASE_URL: t.workerUrl,
    DASTERN_DATA_DIR: dir,
    DASTERN_FILE_KEY: randomBytes(32).toString('base64'),
    DASTERN_JWT_SECRET: randomBytes(32).toString('hex'),
    DASTERN_BCRYPT_COST: '4',
    DASTERN_AUTH_RATE_LIMIT: '100000',
    DASTERN_RATE_LIMIT: '1000000',
    DASTERN_SMTP_URL: smtp.url,
    DASTERN_MAIL_FROM: 'DasTern <no-reply@dastern.test>',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...env,
  });
  const server = await startServer(config, pino({ level: process.env.LOG_LEVEL ?? 'silent' }));
  return {
    url: server.url,
    smtp,
    server,
    dir,
    async stop() {
      await server.stop();
      await smtp.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The link (to this server) in the last e-mail to `to`, waiting for it to arrive. */
export async function mailLink(smtp: Smtp, to: string, pathname: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const mail = [...smtp.inbox].reverse().find((m) => m.to.includes(to.toLowerCase()));
    const m =
      mail === undefined
        ? null
        : new RegExp(`(https?://[^\\s]+${pathname}\\?token=[^\\s]+)`).exec(decodeMail(mail.raw));
    if (m?.[1] !== undefined) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no e-mail with a ${pathname} link to ${to}`);
}

export async function launch(): Promise<{ browser: Browser; profile: string }> {
  // playwright's launch() starts Chromium on a fresh temporary profile (--user-data-dir of its
  // own, removed at close): nothing carried over, no service worker, no storage.
  const profile = '';
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, profile };
}

/** Serious or critical accessibility violations on the page, as "rule: target" lines. */
export async function axeProblems(page: Page): Promise<string[]> {
  // Only violations are gathered (the passes are not read). A page of one frame: axe.run in the
  // page (legacy mode), two to three times faster than the default, which opens a new page per
  // check to merge the frames' results; a page with frames: the default (it looks inside each).
  const builder = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  const result = await (page.frames().length > 1 ? builder : builder.setLegacyMode(true)).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}

/** i18n keys the app asked for and did not find in the language in use. */
export async function missingKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __dasternMissingKeys?: string[] }).__dasternMissingKeys ?? []);
}

/** The page's <html lang>. */
export function htmlLang(page: Page): Promise<string> {
  return page.evaluate(
    () => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang,
  );
}

/** A localStorage item of the page's origin. */
export function stored(page: Page, key: string): Promise<string | null> {
  return page.evaluate(
    (k) => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(k),
    key,
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  // Phones: what the screen shows (a full-page capture would paint the fixed bottom navigation
  // in the middle of the page); wider screens: the whole page.
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: width >= 900 });
}

/** A browser context with its first page: the language and (once per context) a session in localStorage. */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number },
  init?: { lang: string; session?: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    timezoneId: 'Asia/Phnom_Penh',
    locale: 'km-KH',
    serviceWorkers: 'block',
    acceptDownloads: true,
  });
  if (init !== undefined) {
    const lines = [`localStorage.setItem('dastern.lang', ${JSON.stringify(init.lang)});`];
    if (init.session !== undefined)
      lines.push(
        `if (localStorage.getItem('dastern.session') === null) localStorage.setItem('dastern.session', ${JSON.stringify(init.session)});`,
      );
    // not in sandboxed frames (a receipt shown in the page has no storage)
    await context.addInitScript({ content: `try { ${lines.join('\n')} } catch { /* sandboxed frame */ }` });
  }
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (err) => {
    console.error('page error:', err.message);
    errors.push(err.message);
  });
  return { context, page };
}

const pageErrors = new WeakMap<Page, string[]>();

/** Screenshot under test-results/web/, then no serious or critical axe violation and no missing i18n key. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await axeProblems(page), `axe on ${name}`).toEqual([]);
  expect(await missingKeys(page), `i18n keys on ${name}`).toEqual([]);
  expect(pageErrors.get(page) ?? [], `script errors on ${name}`).toEqual([]);
}

export interface Account {
  id: string;
  email: string;
  password: string;
  access: string;
  session: string;
}

/** Signs up through the API (as the sign-up page does) and returns the session the app keeps in localStorage. */
export async function signUpByApi(
  web: WebServer,
  role: 'patient' | 'doctor',
  first: string,
  last: string,
  extra: Record<string, unknown> = {},
): Promise<Account> {
  const email = `web.${role}.${first.toLowerCase()}.${process.pid}.${Date.now()}@example.com`;
  const password = 'a good password 42';
  const res = await fetch(`${web.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, role, first_name: first, last_name: last, ...extra }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string }; access_token: string; refresh_token: string };
  return {
    id: body.user.id,
    email,
    password,
    access: body.access_token,
    session: JSON.stringify({ access: body.access_token, refresh: body.refresh_token, user: body.user }),
  };
}

/** Signs in through the API. */
export async function signInByApi(web: WebServer, email: string, password: string): Promise<Account> {
  const res = await fetch(`${web.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string }; access_token: string; refresh_token: string };
  return {
    id: body.user.id,
    email,
    password,
    access: body.access_token,
    session: JSON.stringify({ access: body.access_token, refresh: body.refresh_token, user: body.user }),
  };
}

/** A JSON call to the API with a bearer token. */
export async function apiCall<T>(
  web: WebServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${web.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text === '' ? null : JSON.parse(text)) as T };
}
