/**
 * Point-in-time recovery of an EXTERNAL server (DATABASE_URL set), not the embedded one: a
 * Debian PostgreSQL of another major version than the embedded 17, started here on its own
 * port. `dastern backup archive-command --apply` sets its WAL archiving; the base backup, the
 * archive and `restore --to` then run through the `dastern` command as an operator runs them,
 * and the recovery is done by the server's own major version (a cluster of 15 cannot be started
 * by 17). Without a second major version installed, one SKIPPED line says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedRuntime } from '../../src/db/embedded.ts';
import { startExternalBackupSchedule } from '../../src/backup/external.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { freePort } from '../support/net.ts';

const run = promisify(execFile);

/** A Debian PostgreSQL whose major version differs from the embedded one, if installed. */
function otherServer(): string | undefined {
  const embedded = /\(PostgreSQL\)\s+(\d+)/.exec(
    execFileSync(path.join(embeddedRuntime().bin, 'bin', 'postgres'), ['--version'], { encoding: 'utf8' }),
  )?.[1];
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  return fs
    .readdirSync(base)
    .filter((v) => v !== embedded && fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .map((v) => path.join(base, v))
    .at(0);
}

const server = otherServer();
if (server === undefined)
  console.log(
    'SKIPPED: test/backup/external.test.ts — no Debian PostgreSQL of another major version than the embedded one is installed',
  );

describe.runIf(server !== undefined)(
  'backups of an external server (Debian PostgreSQL) through the dastern command',
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-external-'));
    fs.chmodSync(root, 0o755);
    const cluster = path.join(root, 'cluster');
    const dataDir = path.join(root, 'data');
    const runAs = embeddedRuntime().runAs;
    let port = 0;
    let url = '';
    let owner: pg.Client;

    const asServerUser = { ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C' } };
    const pgCtl = (...args: string[]) =>
      run(
        path.join(server!, 'bin', 'pg_ctl'),
        ['-D', cluster, '-l', path.join(root, 'server.log'), ...args],
        asServerUser,
      );
    const dastern = async (...args: string[]): Promise<string> => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: url,
        DASTERN_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
      };
      delete env.DASTERN_BACKUP_DIR;
      const { stdout } = await run(process.execPath, ['bin/dastern.js', ...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    };
    const count = async (): Promise<number> =>
      Number((await owner.query<{ n: string }>('SELECT count(*) AS n FROM drill')).rows[0]?.n);

    beforeAll(async () => {
      port = await freePort();
      fs.mkdirSync(cluster, { mode: 0o700 });
      if (runAs) fs.chownSync(cluster, runAs.uid, runAs.gid);
      await run(
        path.join(server!, 'bin', 'initdb'),
        ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
        asServerUser,
      );
      fs.chmodSync(root, 0o777); // the server writes its log here
      await pgCtl('-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root}`, '-w', 'start');
      const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await admin.connect();
      await admin.query('CREATE DATABASE dastern');
      await admin.end();
      url = `postgres://postgres@127.0.0.1:${port}/dastern`;
    }, 120_000);

    afterAll(async () => {
      await owner?.end().catch(() => undefined);
      await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('archive-command sets WAL archiving into the staging folder that dastern ships', async () => {
      await dastern('db', 'migrate');
      const config = loadConfig({ ...process.env, DATABASE_URL: url, DASTERN_DATA_DIR: dataDir });
      // not archiving yet: `dastern serve` takes no backups of it (and says so)
      expect(await startExternalBackupSchedule(config, url, createLogger('silent'))).toBeUndefined();
      const out = await dastern('backup', 'archive-command', '--apply');
      expect(out).toContain(`# postgresql.conf of the server whose data directory is ${cluster}`);
      expect(out).toMatch(/archive_command = 'test ! -f .*\.wal-staging/);
      expect(out).toContain('restart the server');
      expect(fs.existsSync(`${cluster}.wal-staging`)).toBe(true);
      await pgCtl('-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root}`, '-w', 'restart');
      owner = new pg.Client({ connectionString: url });
      await owner.connect();
      expect((await owner.query<{ m: string }>("SELECT current_setting('archive_mode') AS m")).rows[0]?.m).toBe('on');
      // what `dastern serve` does at start on such a server: ship that folder, take the daily backup
      const schedule = await startExternalBackupSchedule(config, url, createLogger('silent'));
      expect(schedule).toBeDefined();
      await schedule?.stop();
    }, 120_000);

    it('restores to a noted moment: exactly the writes before it, recovered by the server’s own major version', async () => {
      await owner.query('CREATE TABLE drill (n int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())');
      await owner.query('INSERT INTO drill (n) SELECT generate_series(1, 5)');
      const manifest = JSON.parse(await dastern('backup', 'create', '--json')) as {
        server_version: string;
        database: string;
      };
      expect(manifest.server_version.startsWith(path.basename(server!))).toBe(true);
      expect(manifest.database).toBe('dastern');
      await owner.query('INSERT INTO drill (n) SELECT generate_series(6, 12)');
      // noted a little after that commit: a JavaScript time keeps milliseconds, PostgreSQL's microseconds
      await owner.query('SELECT pg_sleep(0.05)');
      const noted = (await owner.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;
      await owner.query('SELECT pg_sleep(1.1)');
      await owner.query('INSERT INTO drill (n) SELECT generate_series(13, 40)');
      expect(await count()).toBe(40);

      const target = path.join(root, 'restored');
      const result = JSON.parse(
        await dastern('backup', 'restore', '--target', target, '--to', noted.toISOString(), '--json'),
      ) as {
        rows: Record<string, number>;
        audit: { ok: boolean };
        cluster: string;
      };
      expect(result.rows.drill).toBe(12);
      expect(result.audit.ok).toBe(true);
      expect(fs.readFileSync(path.join(result.cluster, 'PG_VERSION'), 'utf8').trim()).toBe(path.basename(server!));
    }, 180_000);
  },
);
