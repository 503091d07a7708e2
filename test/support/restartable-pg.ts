/**
 * A PostgreSQL server of a test's own (the embedded binaries, a fresh cluster in a temporary
 * directory, a free port) that the test can restart or stop for real: for the resilience tests
 * (pool, queue and LISTEN reconnection). Never the machine's shared server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/log.ts';
import { freePort } from './net.ts';

export interface RestartablePostgres {
  /** Superuser URL of its `dastern` database. */
  url: string;
  /** A fast shutdown (open sessions are cut), then a start on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again after stop(). */
  start(): Promise<void>;
  /** Stops it and removes the cluster. */
  remove(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-restart-pg-'));
  // the OS user `postgres` must reach it (src/db/embedded.ts), so the cluster stays inside it
  fs.chmodSync(base, 0o755);
  const options = { dataDir: base, port: await freePort(), logger: createLogger('warn', 'test-pg') };
  let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres(options);
  const url = server.url;
  const stop = async (): Promise<void> => {
    await server?.stop();
    server = undefined;
  };
  const start = async (): Promise<void> => {
    server ??= await startEmbeddedPostgres(options);
  };
  return {
    url,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async remove() {
      await stop();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
