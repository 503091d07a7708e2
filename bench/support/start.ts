/**
 * Times `npm start` (node bin/dastern.js serve: embedded PostgreSQL, migrations, demo data on a
 * new data dir, HTTP) until GET /api/v1/health answers 200; then stops it with SIGINT and checks
 * that it exits and that its PostgreSQL is gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { accepting, freePort } from '../../test/support/net.ts';

export interface StartResult {
  /** spawn → first 200 from /api/v1/health, or undefined when it never answered. */
  readyMs: number | undefined;
  /** SIGINT → process exit. */
  exitMs: number | undefined;
  exitCode: number | null;
  /** Nothing listens on the embedded PostgreSQL port any more after the exit. */
  postgresStopped: boolean;
  /** The service's own log lines (msg), with ms since spawn. */
  timeline: Array<{ at: number; msg: string }>;
  error?: string;
}

export { freePort };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function timeStart(
  root: string,
  dataDir: string,
  ports: { http: number; pg: number },
  timeoutMs = 180_000,
): Promise<StartResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.DASTERN_APP_DATABASE_URL;
  delete env.DASTERN_WORKER_DATABASE_URL;
  delete env.NODE_ENV;
  Object.assign(env, {
    DASTERN_DATA_DIR: dataDir,
    PORT: String(ports.http),
    HOST: '127.0.0.1',
    DASTERN_EMBEDDED_PG_PORT: String(ports.pg),
    LOG_LEVEL: 'info',
  });
  const timeline: Array<{ at: number; msg: string }> = [];
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin/dastern.js'), 'serve'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: killable as a whole if it does not stop
  });
  let exited = false;
  let exitCode: number | null = null;
  let exitAt = 0;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      exitCode = code;
      exitAt = performance.now();
      resolve();
    });
  });
  let tail = '';
  const onData = (chunk: Buffer): void => {
    const at = performance.now() - t0;
    tail += chunk.toString('utf8');
    const lines = tail.split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const j = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        const err = typeof j.err?.message === 'string' ? `: ${j.err.message.slice(0, 160)}` : '';
        if (typeof j.msg === 'string') timeline.push({ at, msg: `${j.msg}${err}` });
      } catch {
        timeline.push({ at, msg: line.slice(0, 200) });
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const url = `http://127.0.0.1:${ports.http}/api/v1/health`;
  let readyMs: number | undefined;
  let error: string | undefined;
  while (!exited && performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  if (readyMs === undefined)
    error = exited ? `exited with code ${String(exitCode)} before answering` : `no answer within ${timeoutMs / 1000} s`;

  let exitMs: number | undefined;
  if (!exited) {
    const s0 = performance.now();
    child.kill('SIGINT');
    await Promise.race([exit, sleep(30_000)]);
    if (exited) {
      exitMs = exitAt - s0;
    } else {
      error = `${error ?? ''} did not exit within 30 s of SIGINT: killed`.trim();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([exit, sleep(5_000)]);
    }
  }
  // the embedded server must be gone with it
  let postgresStopped = !(await accepting(ports.pg));
  for (let i = 0; !postgresStopped && i < 20; i++) {
    await sleep(100);
    postgresStopped = !(await accepting(ports.pg));
  }
  const result: StartResult = { readyMs, exitMs, exitCode, postgresStopped, timeline };
  if (error !== undefined) result.error = error;
  return result;
}

/** The CLI's own start-up: `node bin/dastern.js --help`, or `node <args> --help`. */
export function cliStartMs(root: string, runs = 3, args: string[] = [path.join(root, 'bin/dastern.js')]): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [...args, '--help'], { cwd: root, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return times;
}
