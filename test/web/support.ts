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
import { chromium, type Browser, type Page } from 'playwright-core';
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
      if (age > 600_000) fs.rmSync(lock, { force: true }); // left by a killed run
      else Atomics.wait(nap, 0, 0, 250);
    }
  }
  try {
    // NODE_ENV is "test" here: inherited, Vite would build React's development bundle and
    // import.meta.env.PROD would be false (no service worker), unlike what `npm ci` builds.
    if (!fresh()) execFileSync(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../../web/scripts/build.ts')], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export interface WebServer { url: string; smtp: Smtp; server: RunningServer; dir: string; stop(): Promise<void> }

export async function startWebServer(t: TestDatabase): Promise<WebServer> {
  ensureBuilt();
  const smtp = await startSmtp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-web-'));
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: t.ownerUrl,
    DASTERN_APP_DATABASE_URL: t.appUrl,
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
  });
  const server = await startServer(config, pino({ level: process.env.LOG_LEVEL ?? 'silent' }));
  return {
    url: server.url, smtp, server, dir,
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
    const m = mail === undefined ? null : new RegExp(`(https?://[^\\s]+${pathname}\\?token=[^\\s]+)`).exec(decodeMail(mail.raw));
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
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { browser, profile };
}

/** Serious or critical accessibility violations on the page, as "rule: target" lines. */
export async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
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
  return page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang);
}

/** A localStorage item of the page's origin. */
export function stored(page: Page, key: string): Promise<string | null> {
  return page.evaluate((k) => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(k), key);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  // Phones: what the screen shows (a full-page capture would paint the fixed bottom navigation
  // in the middle of the page); wider screens: the whole page.
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: width >= 900 });
}
