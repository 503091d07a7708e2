/**
 * The fresh-clone path, `npm start` without DATABASE_URL: `dastern serve` as a real process
 * starts its own PostgreSQL under DASTERN_DATA_DIR, migrates, seeds the demo data, serves, and
 * stops everything on SIGTERM; a second start reuses the cluster. (CI has a PostgreSQL of its
 * own, so nothing else exercises this path.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from '../jobs/support.ts';
import { accepting, freePorts } from '../support/net.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-npm-start-'));
// reachable by the `postgres` OS user when the tests run as root: the cluster stays inside
fs.chmodSync(dir, 0o755);

afterAll(() => {
  // as root the cluster may live outside the data dir; the marker says where
  const marker = path.join(dir, 'postgres-location');
  if (fs.existsSync(marker)) fs.rmSync(fs.readFileSync(marker, 'utf8').trim(), { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dastern serve on the embedded PostgreSQL (npm start on a fresh clone)', () => {
  it('starts its own database, seeds the demo accounts, serves, stops it all on SIGTERM, and starts again on the same data', async () => {
    const [httpPort, pgPort] = (await freePorts(2)) as [number, number];
    const env = {
      NODE_ENV: 'development',
      DASTERN_DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: String(httpPort),
      DASTERN_EMBEDDED_PG_PORT: String(pgPort),
      LOG_LEVEL: 'info',
      DASTERN_FILE_KEY: randomBytes(32).toString('base64'),
    };
    for (const round of ['new data dir', 'existing data dir']) {
      const child = startChild(['bin/dastern.js', 'serve'], env);
      try {
        await child.waitForOutput('DasTern is listening', 180_000);
        const health = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
        expect(await health.json(), round).toEqual({ status: 'ok', database: 'ready' });
        // a demo account of the seed (database/README.md) signs in
        const login = await fetch(`http://127.0.0.1:${httpPort}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'dr.vannak@calmette.dastern.dev', password: 'DasTern!2026' }),
        });
        expect(login.status, round).toBe(200);
        expect(await accepting(pgPort), round).toBe(true);
        child.proc.kill('SIGTERM');
        expect(await child.exited, child.output()).toEqual({ code: 0, signal: null });
        // the embedded PostgreSQL went with it
        expect(await accepting(pgPort), round).toBe(false);
        expect(await accepting(httpPort), round).toBe(false);
      } finally {
        if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
      }
    }
  }, 400_000);
});
