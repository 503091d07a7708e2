/**
 * Accounts, the parts test/auth/auth.test.ts and mail.test.ts leave out: the bcrypt cost rule of
 * the configuration, expired e-mail link tokens, a second verification e-mail on request (real
 * SMTP, in-process), and `dastern users create-admin` as a real process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSmtp } from '../support/smtp.ts';
import { decodeJwt } from 'jose';
import webpush from 'web-push';
import { useApi, register, uniqueEmail, JWT_SECRET, type ApiHarness } from '../support/api.ts';
import { ROOT } from '../jobs/support.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { TokenService, type LinkClaims, type LinkPurpose } from '../../src/auth/tokens.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { verificationMail } from '../../src/mail/templates.ts';
import { createLogger } from '../../src/log.ts';
import type { UserRole } from '../../src/auth/types.ts';

// ---------------------------------------------------------------- an SMTP server in this process

const smtp = await startSmtp();
const inbox = smtp.inbox;
afterAll(() => smtp.close());

const PUBLIC_URL = 'https://app.dastern.example';
const api = useApi({
  env: { DASTERN_PUBLIC_URL: PUBLIC_URL },
  mailer: () =>
    createMailer({
      smtpUrl: smtp.url,
      from: 'DasTern <no-reply@dastern.example>',
      outboxDir: '/nonexistent',
      logger: createLogger('silent'),
    }),
});

type LinkKind = 'verify-email' | 'reset-password';

function linksIn(address: string, kind: LinkKind): string[] {
  const re = new RegExp(`${PUBLIC_URL.replace(/\./g, '\\.')}/${kind}\\?token=([A-Za-z0-9_.%-]+)`);
  return inbox
    .filter((m) => m.to.includes(address.toLowerCase()))
    .map((m) => re.exec(m.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='))?.[1])
    .filter((t): t is string => t !== undefined)
    .map((t) => decodeURIComponent(t));
}

/** The Subject header, unfolded and its RFC 2047 encoded-words (UTF-8, Q or B) decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1] ?? '';
  return header
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between encoded-words is not part of the text
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_w, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    )
    .replace(/\r?\n[ \t]/g, ' ');
}

/** Waits (polling, no deadline assertion) until `count` links of a kind have reached the address. */
async function waitForLinks(address: string, kind: LinkKind, count: number): Promise<string[]> {
  for (let i = 0; i < 400; i++) {
    const links = linksIn(address, kind);
    if (links.length >= count) return links;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${count} ${kind} mails to ${address}`);
}

// ---------------------------------------------------------------- configuration: bcrypt cost

describe('configuration: bcrypt cost', () => {
  const keys = webpush.generateVAPIDKeys();
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://u:p@db.example/dastern',
    DASTERN_JWT_SECRET: 'x'.repeat(40),
    DASTERN_SMTP_URL: 'smtp://mail.example:587',
    DASTERN_VAPID_PUBLIC_KEY: keys.publicKey,
    DASTERN_VAPID_PRIVATE_KEY: keys.privateKey,
    DASTERN_VAPID_SUBJECT: 'mailto:ops@dastern.example',
  };

  it('defaults to 12 in production and development, 4 under NODE_ENV=test', () => {
    expect(loadConfig(production).api.bcryptCost).toBe(12);
    expect(loadConfig({ NODE_ENV: 'development' }).api.bcryptCost).toBe(12);
    expect(loadConfig({}).api.bcryptCost).toBe(12);
    expect(loadConfig({ NODE_ENV: 'test' }).api.bcryptCost).toBe(4);
  });

  it.each(['4', '11'])('refuses DASTERN_BCRYPT_COST=%s outside NODE_ENV=test', (cost) => {
    expect(() => loadConfig({ ...production, DASTERN_BCRYPT_COST: cost })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, DASTERN_BCRYPT_COST: cost })).toThrow(
      /DASTERN_BCRYPT_COST below 12 is only allowed when NODE_ENV=test/,
    );
    expect(() => loadConfig({ NODE_ENV: 'development', DASTERN_BCRYPT_COST: cost })).toThrow(/below 12/);
    expect(loadConfig({ NODE_ENV: 'test', DASTERN_BCRYPT_COST: cost }).api.bcryptCost).toBe(Number(cost));
  });

  it('takes 12 to 15 everywhere, and refuses what is not an integer in 4..15', () => {
    expect(loadConfig({ ...production, DASTERN_BCRYPT_COST: '12' }).api.bcryptCost).toBe(12);
    expect(loadConfig({ ...production, DASTERN_BCRYPT_COST: '15' }).api.bcryptCost).toBe(15);
    for (const bad of ['16', '3', '12.5', 'twelve', '-12']) {
      expect(() => loadConfig({ ...production, DASTERN_BCRYPT_COST: bad }), bad).toThrow(
        /DASTERN_BCRYPT_COST must be an integer between 4 and 15/,
      );
      expect(() => loadConfig({ NODE_ENV: 'test', DASTERN_BCRYPT_COST: bad }), bad).toThrow(ConfigError);
    }
  });
});

// ---------------------------------------------------------------- e-mail link tokens

/**
 * Signs a link token with the service's own TokenService and secret, as if it had been mailed at
 * `issuedAt` (signLink reads the time from Date.now), valid for `ttlSeconds` from then.
 */
async function signLinkAt(issuedAt: number, claims: LinkClaims, ttlSeconds: number): Promise<string> {
  const tokens = new TokenService(JWT_SECRET, 900);
  vi.setSystemTime(issuedAt);
  try {
    return await tokens.signLink(claims, ttlSeconds);
  } finally {
    vi.useRealTimers();
  }
}

/** The claims of a token the service really mailed (subject, role, purpose and state binding). */
function claimsOf(token: string, purpose: LinkPurpose): { claims: LinkClaims; ttl: number } {
  const p = decodeJwt(token);
  expect(p.pur).toBe(purpose);
  return {
    claims: { userId: String(p.sub), role: p.role as UserRole, purpose, binding: String(p.bnd) },
    ttl: Number(p.exp) - Number(p.iat),
  };
}

const HOUR = 3600_000;

describe('e-mail link tokens expire', () => {
  it('a verification link is good for 48 hours: one mailed 49 hours ago answers 400 link_token_expired', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const [mailed] = await waitForLinks(p.email, 'verify-email', 1);
    const { claims, ttl } = claimsOf(mailed!, 'verify_email');
    expect(ttl).toBe(48 * 3600);
    const expired = await signLinkAt(Date.now() - 49 * HOUR, claims, ttl);
    const res = await h.call('POST', '/auth/verify-email', { body: { token: expired } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('link_token_expired');
    expect((await h.call('GET', '/me', { token: p.access })).json().email_verified).toBe(false);
    // The same claims mailed 47 hours ago still work: only the age was wrong.
    const young = await signLinkAt(Date.now() - 47 * HOUR, claims, ttl);
    expect((await h.call('POST', '/auth/verify-email', { body: { token: young } })).statusCode).toBe(200);
    expect((await h.call('GET', '/me', { token: p.access })).json().email_verified).toBe(true);
  });

  it('a reset link is good for 1 hour: one mailed 61 minutes ago is refused and the password stays', async () => {
    const h = api();
    const p = await register(h, 'doctor');
    expect((await h.call('POST', '/auth/password-reset/request', { body: { email: p.email } })).statusCode).toBe(202);
    const [mailed] = await waitForLinks(p.email, 'reset-password', 1);
    const { claims, ttl } = claimsOf(mailed!, 'reset_password');
    expect(ttl).toBe(3600);
    const expired = await signLinkAt(Date.now() - 61 * 60_000, claims, ttl);
    const res = await h.call('POST', '/auth/password-reset', {
      body: { token: expired, password: 'new password 123' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('link_token_expired');
    expect((await h.call('GET', '/me', { token: p.access })).statusCode).toBe(200); // sessions not ended
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'new password 123' } })).statusCode,
    ).toBe(401);
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      200,
    );
    const young = await signLinkAt(Date.now() - 59 * 60_000, claims, ttl);
    expect(
      (await h.call('POST', '/auth/password-reset', { body: { token: young, password: 'new password 123' } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'new password 123' } })).statusCode,
    ).toBe(200);
  });

  it('a reset link mailed before the password was changed (POST /auth/password) is dead: link_token_used', async () => {
    const h = api();
    const p = await register(h, 'patient');
    expect((await h.call('POST', '/auth/password-reset/request', { body: { email: p.email } })).statusCode).toBe(202);
    const [token] = await waitForLinks(p.email, 'reset-password', 1);
    expect(
      (
        await h.call('POST', '/auth/password', {
          token: p.access,
          body: { current_password: p.password, new_password: 'changed pass 777' },
        })
      ).statusCode,
    ).toBe(200);
    const res = await h.call('POST', '/auth/password-reset', { body: { token, password: 'attacker pass 666' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('link_token_used');
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'attacker pass 666' } })).statusCode,
    ).toBe(401);
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'changed pass 777' } })).statusCode,
    ).toBe(200);
  });
});

// ---------------------------------------------------------------- verification mail on request

describe('POST /auth/verify-email/request', () => {
  it('answers 202 and a new verification mail reaches the SMTP server; its link verifies the address', async () => {
    const h = api();
    const p = await register(h, 'patient');
    await waitForLinks(p.email, 'verify-email', 1); // the mail sent at registration
    const before = linksIn(p.email, 'verify-email').length;
    const res = await h.call('POST', '/auth/verify-email/request', { token: p.access });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ ok: true });
    const links = await waitForLinks(p.email, 'verify-email', before + 1);
    expect(links).toHaveLength(before + 1);
    const message = [...inbox]
      .reverse()
      .find((m) => m.to.includes(p.email.toLowerCase()) && m.raw.includes('verify-email'));
    expect(message?.to).toEqual([p.email.toLowerCase()]);
    expect(message?.raw).toMatch(/^From: DasTern <no-reply@dastern\.example>/m);
    expect(subjectOf(message?.raw ?? '')).toBe(verificationMail(p.email, '').subject);
    const token = links[links.length - 1]!;
    expect(claimsOf(token, 'verify_email').claims.userId).toBe(p.id);
    expect((await h.call('POST', '/auth/verify-email', { body: { token } })).statusCode).toBe(200);
    expect((await h.call('GET', '/me', { token: p.access })).json().email_verified).toBe(true);
  });

  it('needs a signed-in user: 401 without a token, and nothing is sent', async () => {
    const h = api();
    const before = inbox.length;
    const res = await h.call('POST', '/auth/verify-email/request');
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
    expect(inbox.length).toBe(before);
  });
});

// ---------------------------------------------------------------- dastern users create-admin

let dataDir = '';
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-create-admin-'));
});
afterAll(() => {
  if (dataDir !== '') fs.rmSync(dataDir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  output: string;
}

/** Runs `node bin/dastern.js <args>` against this file's database, `stdin` written then closed. */
function dastern(h: ApiHarness, args: string[], stdin: string, env: Record<string, string> = {}): Promise<CliResult> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) base[k] = process.env[k];
  const proc = spawn(process.execPath, ['bin/dastern.js', ...args], {
    cwd: ROOT,
    env: {
      ...base,
      NODE_ENV: 'test',
      DATABASE_URL: h.t.ownerUrl,
      DASTERN_APP_DATABASE_URL: h.t.appUrl,
      DASTERN_WORKER_DATABASE_URL: h.t.workerUrl,
      DASTERN_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    output += c.toString('utf8');
  });
  proc.stderr.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  proc.stdin.on('error', () => undefined); // the command may exit before reading it
  proc.stdin.end(stdin);
  // Not an assertion: a hung child is killed so the test fails on its exit code instead of hanging.
  const guard = setTimeout(() => proc.kill('SIGKILL'), 50_000);
  return new Promise((resolve) =>
    proc.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, output });
    }),
  );
}

async function accountsWith(
  h: ApiHarness,
  email: string,
): Promise<
  {
    id: string;
    role: string;
    first_name: string;
    last_name: string;
    email_verified: boolean;
    language: string;
    password_hash: string;
  }[]
> {
  const res = await h.t.owner.query(
    'SELECT id, role::text AS role, first_name, last_name, email_verified_at IS NOT NULL AS email_verified, language, password_hash FROM users WHERE email = $1',
    [email],
  );
  return res.rows;
}

describe('dastern users create-admin (a real process)', () => {
  const password = 'admin pass 2024 ok';
  const email = uniqueEmail('Root.Admin');

  it('creates an admin from --password-stdin (development: bcrypt cost 12) who signs in and reads the statistics', async () => {
    const h = api();
    const run = await dastern(
      h,
      ['users', 'create-admin', '--email', email, '--first-name', 'Sreymom', '--last-name', 'Keo', '--password-stdin'],
      `${password}\n`,
      { NODE_ENV: 'development' },
    );
    expect(run.code, run.output).toBe(0);
    const rows = await accountsWith(h, email.toLowerCase());
    expect(rows).toHaveLength(1);
    const admin = rows[0]!;
    expect(run.stdout).toBe(`admin created: ${admin.id}\n`);
    expect(admin).toMatchObject({
      role: 'admin',
      first_name: 'Sreymom',
      last_name: 'Keo',
      email_verified: true,
      language: 'en',
    });
    expect(admin.password_hash).toMatch(/^\$2[aby]\$12\$/);
    // The trailing newline of stdin is not part of the password.
    const login = await h.call('POST', '/auth/login', { body: { email, password } });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json().user).toMatchObject({ id: admin.id, role: 'admin' });
    const stats = await h.call('GET', '/admin/statistics', { token: login.json().access_token });
    expect(stats.statusCode, stats.body).toBe(200);
    expect(stats.json()).toMatchObject({ users: expect.any(Array), prescriptions: expect.any(Array) });
    // Control: the same route is closed to a patient.
    const patient = await register(h, 'patient');
    expect((await h.call('GET', '/admin/statistics', { token: patient.access })).statusCode).toBe(403);
  });

  it('a second run with the same e-mail (any case) fails with a clear message, exit 1, and no second account', async () => {
    const h = api();
    const twice = uniqueEmail('Twice.Admin');
    const first = await dastern(h, ['users', 'create-admin', '--email', twice, '--password-stdin'], password);
    expect(first.code, first.output).toBe(0);
    const existing = await accountsWith(h, twice.toLowerCase());
    expect(existing).toHaveLength(1);
    const run = await dastern(
      h,
      ['users', 'create-admin', '--email', twice.toUpperCase(), '--password-stdin'],
      'another pass 42 xyz',
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('dastern: an account with this e-mail already exists');
    expect(run.stdout).not.toContain('admin created');
    expect(await accountsWith(h, twice.toLowerCase())).toEqual(existing);
    expect(
      (await h.call('POST', '/auth/login', { body: { email: twice, password: 'another pass 42 xyz' } })).statusCode,
    ).toBe(401);
    expect((await h.call('POST', '/auth/login', { body: { email: twice, password } })).statusCode).toBe(200);
  });

  it.each([
    [
      'a password without digits',
      ['--email', 'weak.admin@example.com'],
      'onlyletters here',
      'the password must contain letters and digits',
    ],
    [
      'a password shorter than 10 characters',
      ['--email', 'short.admin@example.com'],
      'short1',
      'the password must have at least 10 characters',
    ],
    [
      'an empty standard input',
      ['--email', 'empty.admin@example.com'],
      '',
      'the password must have at least 10 characters',
    ],
    ['an address that is not an e-mail', ['--email', 'not-an-email'], 'admin pass 2024 ok', 'not an e-mail address'],
  ])('refuses %s: exit 1 with the reason, no account', async (_name, args, stdin, message) => {
    const h = api();
    const run = await dastern(h, ['users', 'create-admin', ...args, '--password-stdin'], stdin);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`dastern: ${message}`);
    expect(await accountsWith(h, args[1]!.toLowerCase())).toEqual([]);
  });

  it('asks for --password-stdin when there is no terminal, and needs --email', async () => {
    const h = api();
    const before = (await h.t.owner.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`)).rows[0]
      .n as number;
    const noTty = await dastern(
      h,
      ['users', 'create-admin', '--email', 'tty.admin@example.com'],
      'admin pass 2024 ok\n',
    );
    expect(noTty.code, noTty.output).toBe(1);
    expect(noTty.output).toContain('use --password-stdin');
    const noEmail = await dastern(h, ['users', 'create-admin', '--password-stdin'], 'admin pass 2024 ok\n');
    expect(noEmail.code, noEmail.output).toBe(1);
    expect(noEmail.output).toMatch(/required option '--email <email>' not specified/);
    expect((await h.t.owner.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`)).rows[0].n).toBe(before);
  });
});
