/**
 * `npm start` on its embedded PostgreSQL, as a user runs it in a terminal:
 * - the CLI (`db status`, `audit verify`, `maintenance cleanup-sessions`, `users create-admin`)
 *   run next to it USES the running database and never stops it: the service keeps answering;
 * - Ctrl-C (SIGINT to the whole process group, npm included) stops everything cleanly: exit 0,
 *   not one warning or error line, PostgreSQL gone;
 * - a database orphaned by a SIGKILLed server is shut down by the next command, and only then.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { accepting, freePorts } from '../support/net.ts';
import { dastern, problems, startProcess, type Proc } from './support.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-cli-serving-'));
// reachable by the `postgres` OS user when the tests run as root: the cluster stays inside
fs.chmodSync(dir, 0o755);
const started: Proc[] = [];

afterAll(() => {
  for (const p of started) p.kill();
  const marker = path.join(dir, 'postgres-location');
  if (fs.existsSync(marker)) fs.rmSync(fs.readFileSync(marker, 'utf8').trim(), { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

async function ports(): Promise<{ http: number; pg: number }> {
  const [http, pg] = (await freePorts(2)) as [number, number];
  return { http, pg };
}

function envFor(p: { http: number; pg: number }): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DASTERN_DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: String(p.http),
    DASTERN_EMBEDDED_PG_PORT: String(p.pg),
    LOG_LEVEL: 'info',
    DASTERN_FILE_KEY: KEY,
  };
}
const KEY = randomBytes(32).toString('base64');

async function health(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status;
}

async function run(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; out: string }> {
  const p = dastern(args, env, input);
  started.push(p);
  const exit = await p.exited;
  return { code: exit.code, out: p.output() };
}

describe('npm start on the embedded PostgreSQL, with the CLI beside it', () => {
  it('CLI commands use the running database and never stop it; Ctrl-C stops everything without an error line', async () => {
    const p = await ports();
    const env = envFor(p);
    const serve = startProcess('npm', ['start', '--silent'], env);
    started.push(serve);
    await serve.waitForLine('"DasTern is listening"', (l) => l.msg === 'DasTern is listening', 180_000);
    expect(await health(p.http)).toBe(200);

    const status = await run(['db', 'status'], env);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toContain('applied  014_worker_role');
    expect(status.out).toContain('using the embedded PostgreSQL of a running dastern process');
    expect(status.out).not.toContain('shutting it down');
    expect(await health(p.http)).toBe(200);

    const verify = await run(['audit', 'verify'], env);
    expect(verify.code, verify.out).toBe(0);
    expect(verify.out).toMatch(/audit chain OK: \d+ rows verified/);
    expect(await health(p.http)).toBe(200);

    const cleanup = await run(['maintenance', 'cleanup-sessions'], env);
    expect(cleanup.code, cleanup.out).toBe(0);
    expect(cleanup.out).toMatch(/sessions removed: \d+/);
    const admin = await run(
      ['users', 'create-admin', '--email', `ops-${randomBytes(4).toString('hex')}@example.com`, '--password-stdin'],
      env,
      'a long admin password 2026\n',
    );
    expect(admin.code, admin.out).toBe(0);
    expect(admin.out).toMatch(/admin created: [0-9a-f-]{36}/);

    // the service still answers, and its database is the one it started
    expect(await health(p.http)).toBe(200);
    const login = await fetch(`http://127.0.0.1:${p.http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'dr.vannak@calmette.dastern.dev', password: 'DasTern!2026' }),
    });
    expect(login.status).toBe(200);

    // Ctrl-C in the terminal: SIGINT to the whole foreground process group (npm and node)
    process.kill(-serve.proc.pid!, 'SIGINT');
    // npm ends as its shell expects after a Ctrl-C (killed by SIGINT, or 0); dastern itself
    // logs "stopped" just before process.exit(0), after every part has stopped
    const exit = await serve.exited;
    expect(exit.code === 0 || exit.signal === 'SIGINT', JSON.stringify(exit)).toBe(true);
    expect(problems(serve), serve.output()).toEqual([]);
    expect(serve.output()).not.toMatch(/npm (ERR|error)/);
    expect(serve.lines().some((l) => l.msg === 'DasTern stopped')).toBe(true);
    expect(await accepting(p.pg)).toBe(false);
    expect(await accepting(p.http)).toBe(false);
  }, 300_000);

  it('dastern serve itself exits 0 on SIGINT to its group, without a warning or error line', async () => {
    const p = await ports();
    const serve = dastern(['serve'], envFor(p));
    started.push(serve);
    await serve.waitForLine('"DasTern is listening"', (l) => l.msg === 'DasTern is listening', 180_000);
    process.kill(-serve.proc.pid!, 'SIGINT');
    expect(await serve.exited, serve.output()).toEqual({ code: 0, signal: null });
    expect(problems(serve), serve.output()).toEqual([]);
    expect(await accepting(p.pg)).toBe(false);
  }, 300_000);

  it('a database orphaned by a killed server is shut down by the next command (and only an orphan)', async () => {
    const p = await ports();
    const env = envFor(p);
    const serve = dastern(['serve'], env);
    started.push(serve);
    await serve.waitForLine('"DasTern is listening"', (l) => l.msg === 'DasTern is listening', 180_000);
    serve.proc.kill('SIGKILL');
    await serve.exited;
    // PostgreSQL runs in its own process group: it outlived its owner
    expect(await accepting(p.pg)).toBe(true);
    const status = await run(['db', 'status'], env);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toContain('left running by a process that is gone: shutting it down');
    expect(status.out).toContain('applied  014_worker_role');
    // the command started its own server and stopped it when done
    expect(await accepting(p.pg)).toBe(false);
  }, 300_000);
});
