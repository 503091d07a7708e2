/**
 * `dastern serve` / `dastern worker` as real child processes, driven through HTTP only: the
 * helpers of the process-level tests (test/process/*). The child's pino lines are parsed so a
 * test can see which jobs ran and that no error or warning was logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ROOT } from '../jobs/support.ts';
import { decodeMail, type Smtp } from '../support/smtp.ts';
import { multipartBody } from '../prescriptions/support.ts';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface Proc {
  proc: ChildProcess;
  /** Everything written to stdout and stderr. */
  output(): string;
  /** The JSON (pino) lines of stdout. */
  lines(): LogLine[];
  /** Resolves once a log line matches (rejects when the process exits first or after timeoutMs). */
  waitForLine(what: string, match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to its whole process group, if still running (clean-up after a failed test). */
  kill(): void;
}

/** Runs `command args` from the repository root in its own process group, with `env` on a clean environment. */
export function startProcess(command: string, args: string[], env: Record<string, string>, input?: string): Proc {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) base[k] = process.env[k];
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  if (input !== undefined) proc.stdin?.end(input);
  let out = '';
  let pending = '';
  const parsed: LogLine[] = [];
  proc.stdout?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    out += text;
    pending += text;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    output: () => out,
    lines: () => parsed,
    exited,
    async waitForLine(what, match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = parsed.find(match);
        if (found) return found;
        if (!running()) throw new Error(`process exited before ${what}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${out.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill() {
      if (running() && proc.pid !== undefined) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** `node bin/dastern.js <args>` (what `npx dastern` runs). */
export function dastern(args: string[], env: Record<string, string>, input?: string): Proc {
  return startProcess(process.execPath, ['bin/dastern.js', ...args], env, input);
}

/** Warnings (40), errors (50) and fatals (60) among the log lines. */
export function problems(p: Proc): LogLine[] {
  return p.lines().filter((l) => l.level >= 40);
}

export async function poll<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A small HTTP client of the running service. */
export class Client {
  constructor(readonly base: string) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    o: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  async upload(
    token: string,
    bytes: Buffer,
    filename: string,
    contentType: string,
  ): Promise<{ status: number; body: { id: string; status: string } }> {
    const { body, boundary } = multipartBody(bytes, 'image', filename, contentType);
    const res = await fetch(`${this.base}/api/v1/prescriptions`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    return { status: res.status, body: (await res.json()) as { id: string; status: string } };
  }

  /** Opens the live stream (SSE) and collects its events until close(). */
  async stream(token: string): Promise<LiveStream> {
    const controller = new AbortController();
    const res = await fetch(`${this.base}/api/v1/notifications/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    if (res.status !== 200 || res.body === null) throw new Error(`stream answered ${res.status}`);
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined)
              events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch {
        // aborted by close()
      }
    })();
    return { events, close: () => controller.abort() };
  }
}

export interface LiveStream {
  events: { event: string; data: Record<string, unknown> }[];
  close(): void;
}

/** The reminder time one or two minutes ahead (HH:MM in `tz`): the next minute, unless it is about to begin. */
export function nextMinute(tz: string, now = new Date()): { time: string; at: Date } {
  const at = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + (now.getSeconds() >= 45 ? 120_000 : 60_000));
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return { time, at };
}

/** A patient registered through the API whose e-mail address is verified by the link mailed to the SMTP server. */
export async function verifiedPatient(c: Client, smtp: Smtp): Promise<{ id: string; email: string; token: string }> {
  const email = `patient-${randomBytes(5).toString('hex')}@example.com`;
  const reg = await c.call<{ user: { id: string }; access_token: string }>('POST', '/auth/register', {
    body: {
      email,
      password: 'correct horse 42 battery',
      role: 'patient',
      first_name: 'Sok',
      last_name: 'Dara',
      language: 'en',
    },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const mail = await poll(
    'the verification e-mail',
    async () => smtp.inbox.find((m) => m.to.includes(email)),
    30_000,
    200,
  );
  const token = /verify-email\?token=([A-Za-z0-9._~-]+)/.exec(decodeMail(mail.raw))?.[1];
  if (token === undefined) throw new Error('no verification link in the e-mail');
  const verified = await c.call('POST', '/auth/verify-email', { body: { token } });
  if (verified.status !== 204 && verified.status !== 200)
    throw new Error(`verify-email: ${verified.status} ${JSON.stringify(verified.body)}`);
  return { id: reg.body.user.id, email, token: reg.body.access_token };
}
