/**
 * A real PostgreSQL primary, a streaming replica made by `pg_basebackup -R`, and a PgBouncer in
 * transaction mode in front of both, from Debian's binaries (PostgreSQL 15, pgbouncer), in a
 * temporary folder. As root every server runs as the OS user `postgres` (neither PostgreSQL nor
 * PgBouncer runs as root). For test/process/scale-out.test.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Why the cluster cannot be made here (a missing binary), or undefined. */
export function clusterUnavailable(): string | undefined {
  for (const bin of [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, `${PG_BIN}/pg_basebackup`, PGBOUNCER]) {
    if (!fs.existsSync(bin))
      return `${bin} is missing (Debian postgresql-15 and pgbouncer: scripts/install-system-deps.sh)`;
  }
  return undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The command as the OS user postgres when we are root. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function pg(cmd: string, args: string[]): Promise<void> {
  const [c, a] = asPostgres(`${PG_BIN}/${cmd}`, args);
  await run(c, a, { maxBuffer: 16 * 1024 * 1024 });
}

export interface Cluster {
  dir: string;
  /** Direct URLs (superuser postgres, trust): the primary and the replica. */
  primaryUrl(db: string, user?: string): string;
  replicaUrl(db: string, user?: string): string;
  /** Through PgBouncer (transaction mode): `db` on the primary, `db_ro` on the replica, `db_one` a pool of one server connection. */
  bouncerUrl(db: string, user: string): string;
  stop(): Promise<void>;
}

export async function startCluster(
  ports: { primary: number; replica: number; bouncer: number },
  database: string,
): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-cluster-'));
  fs.chmodSync(dir, 0o755);
  if (isRoot) await run('chown', ['postgres:postgres', dir]);
  const primary = path.join(dir, 'primary');
  const replica = path.join(dir, 'replica');
  let bouncer: ChildProcess | undefined;
  const started: string[] = [];
  const stop = async (): Promise<void> => {
    if (bouncer?.pid !== undefined && bouncer.exitCode === null) {
      try {
        process.kill(-bouncer.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const data of started.reverse())
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pg('initdb', [
      '-D',
      primary,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    fs.appendFileSync(
      path.join(primary, 'postgresql.conf'),
      [
        `port = ${ports.primary}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        'max_connections = 200',
        'fsync = off',
        'shared_buffers = 32MB',
        '',
      ].join('\n'),
    );
    await pg('pg_ctl', ['-D', primary, '-l', path.join(dir, 'primary.log'), '-w', 'start']);
    started.push(primary);
    await pg('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(ports.primary),
      '-U',
      'postgres',
      '-qc',
      `CREATE DATABASE ${database}`,
    ]);
    await pg('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(ports.primary),
      '-U',
      'postgres',
      '-D',
      replica,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
    ]);
    fs.appendFileSync(path.join(replica, 'postgresql.auto.conf'), `port = ${ports.replica}\n`);
    await pg('pg_ctl', ['-D', replica, '-l', path.join(dir, 'replica.log'), '-w', 'start']);
    started.push(replica);

    const ini = path.join(dir, 'pgbouncer.ini');
    const users = path.join(dir, 'userlist.txt');
    fs.writeFileSync(
      users,
      ['postgres', 'dastern_app', 'dastern_worker'].map((u) => `"${u}" "unused"`).join('\n') + '\n',
    );
    fs.writeFileSync(
      ini,
      [
        '[databases]',
        `${database} = host=127.0.0.1 port=${ports.primary} dbname=${database}`,
        `${database}_ro = host=127.0.0.1 port=${ports.replica} dbname=${database}`,
        `${database}_one = host=127.0.0.1 port=${ports.primary} dbname=${database} pool_size=1`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${ports.bouncer}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${users}`,
        'pool_mode = transaction',
        'max_client_conn = 1000',
        'default_pool_size = 40',
        'ignore_startup_parameters = extra_float_digits,options',
        `logfile = ${path.join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    if (isRoot) await run('chown', ['-R', 'postgres:postgres', ini, users]);
    const [c, a] = asPostgres(PGBOUNCER, [ini]);
    bouncer = spawn(c, a, { stdio: 'ignore', detached: true });
    // accepting?
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await pg('psql', [
          '-h',
          '127.0.0.1',
          '-p',
          String(ports.bouncer),
          '-U',
          'postgres',
          '-d',
          database,
          '-qAtc',
          'SELECT 1',
        ]);
        // …and ours: a PgBouncer that could not bind its port has exited
        if (bouncer.exitCode !== null || bouncer.signalCode !== null)
          throw new Error(`pgbouncer exited (${bouncer.exitCode ?? bouncer.signalCode})`);
        break;
      } catch (err) {
        if (Date.now() > deadline || bouncer.exitCode !== null || bouncer.signalCode !== null) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    const logs = ['primary.log', 'replica.log', 'pgbouncer.log']
      .map((f) => path.join(dir, f))
      .filter((f) => fs.existsSync(f))
      .map((f) => `${path.basename(f)}:\n${fs.readFileSync(f, 'utf8').slice(-2000)}`)
      .join('\n');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
  }
  const url = (port: number, db: string, user: string) => `postgres://${user}@127.0.0.1:${port}/${db}`;
  return {
    dir,
    primaryUrl: (db, user = 'postgres') => url(ports.primary, db, user),
    replicaUrl: (db, user = 'postgres') => url(ports.replica, db, user),
    bouncerUrl: (db, user) => url(ports.bouncer, db, user),
    stop,
  };
}
