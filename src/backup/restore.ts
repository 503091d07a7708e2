/**
 * `dastern backup restore [--to TIME]` and `dastern backup verify`: a base backup unpacked into
 * a NEW data directory (never over the running one), WAL replayed by PostgreSQL itself from the
 * encrypted archive up to TIME (or to the end of the archive; verify: to the backup's own end),
 * then promoted. The result is laid out like DASTERN_DATA_DIR (postgres cluster, files/,
 * secrets/), so `DASTERN_DATA_DIR=<target> dastern serve` runs on it.
 *
 * The recovering server listens on a Unix socket in a private folder only (no TCP), with trust
 * authentication there: nobody but this process and root can reach it while it replays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { childProcessEnv } from '../config.ts';
import { clusterDir } from '../db/embedded.ts';
import { binariesFor } from './binaries.ts';
import { FileStore } from '../files/store.ts';
import { verifyAuditChain } from '../cli/audit.ts';
import type { VerifyResult } from '../audit/service.ts';
import { readEncrypted } from './crypto.ts';
import { listArchivedWal, listBackups, segmentPosition, type BackupManifest } from './layout.ts';
import { fetchWal } from './wal.ts';
import { restoreFiles } from './files.ts';
import { BackupError } from './base.ts';

export interface RestoreOptions {
  backupDir: string;
  key: Buffer;
  /** A new (or empty) folder that becomes a data dir. */
  target: string;
  /** Point in time; undefined → everything archived. Ignored with `immediate`. */
  to?: Date | undefined;
  /** Stop at the base backup's own end (verify). */
  immediate?: boolean;
  /** The file-store key when it is not among the backup's secrets (production: DASTERN_FILE_KEY). */
  fileKey?: Buffer | undefined;
  onStep?: (step: string) => void;
  /** DASTERN_PG_BIN_DIR: binaries of another major version than the embedded one. */
  pgBinDir?: string | undefined;
}

export interface RestoreResult {
  target: string;
  cluster: string;
  base: string;
  /** Time of the last transaction replayed (null: none after the base backup). */
  recovered_to: string | null;
  duration_ms: number;
  rows: Record<string, number>;
  audit: VerifyResult;
  files: { referenced: number; missing: string[]; unreadable: string[] };
}

type RunAs = { uid: number; gid: number } | undefined;

function chownTree(dir: string, runAs: RunAs): void {
  if (!runAs) return;
  fs.chownSync(dir, runAs.uid, runAs.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    fs.lchownSync(path.join(entry.parentPath, entry.name), runAs.uid, runAs.gid);
  }
}

/** Decrypt → gunzip → `tar -x` into `dir` (reading to the very end: tar would stop at its end-of-archive blocks and close the pipe on the padding after them). */
async function unpack(file: string, key: Buffer, dir: string): Promise<void> {
  const child = spawn('tar', ['-C', dir, '-xf', '-', '--no-same-owner', '--ignore-zeros'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await readEncrypted(file, key, createGunzip(), child.stdin);
  } catch (err) {
    child.kill();
    throw err;
  }
  const code = await exited;
  if (code !== 0) throw new BackupError(`unpacking ${path.basename(file)} failed: ${stderr.trim()}`);
}

/** The newest base backup that ended before `to` (any, without `to`). */
export function chooseBase(backups: readonly BackupManifest[], to: Date | undefined): BackupManifest {
  const usable = to === undefined ? backups : backups.filter((b) => new Date(b.stopped_at).getTime() <= to.getTime());
  const base = usable.at(-1);
  if (base === undefined) {
    throw new BackupError(
      to === undefined
        ? 'no base backup yet: run `dastern backup create`'
        : `no base backup ended before ${to.toISOString()}`,
    );
  }
  return base;
}

async function waitForPromotion(
  child: ChildProcess,
  socketDir: string,
  user: string,
  logTail: string[],
): Promise<pg.Client> {
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined)
      throw new BackupError(`recovery stopped (${String(exited)}): ${logTail.slice(-6).join(' | ')}`);
    const client = new pg.Client({ host: socketDir, port: 5432, user, database: 'postgres' });
    try {
      await client.connect();
      const r = await client.query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
      if (r.rows[0]?.rec === false) return client;
    } catch {
      // still starting or replaying
    }
    await client.end().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function countRows(client: pg.Client): Promise<Record<string, number>> {
  const tables = await client.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  const rows: Record<string, number> = {};
  for (const { t } of tables.rows) {
    rows[t] = Number(
      (await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${client.escapeIdentifier(t)}`)).rows[0]
        ?.n ?? 0,
    );
  }
  return rows;
}

/** Every photo and thumbnail the restored database names is in the restored store and decrypts. */
async function checkFiles(client: pg.Client, store: FileStore | undefined): Promise<RestoreResult['files']> {
  const res = await client.query<{ p: string }>(
    'SELECT p FROM (SELECT image_path AS p FROM prescriptions UNION ALL SELECT thumbnail_path FROM prescriptions) x WHERE p IS NOT NULL',
  );
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const { p } of res.rows) {
    if (store === undefined) {
      unreadable.push(p);
      continue;
    }
    try {
      await store.get(p);
    } catch (err) {
      ((err as NodeJS.ErrnoException).code === 'ENOENT' ? missing : unreadable).push(p);
    }
  }
  return { referenced: res.rows.length, missing, unreadable };
}

function fileKeyOf(target: string, given: Buffer | undefined): Buffer | undefined {
  if (given !== undefined) return given;
  const file = path.join(target, 'secrets', 'file-key');
  return fs.existsSync(file) ? Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64') : undefined;
}

/** The base backup and the WAL to replay laid out in `cluster` (and the backup's secrets in target/secrets). */
async function layOutCluster(
  options: RestoreOptions,
  base: BackupManifest,
  paths: { cluster: string; walDir: string },
  step: (s: string) => void,
): Promise<void> {
  const { backupDir, key, target } = options;
  const { cluster, walDir } = paths;
  step(`unpacking base backup ${base.id}`);
  fs.mkdirSync(cluster, { recursive: true, mode: 0o700 });
  const part = (name: string): string => path.join(backupDir, 'base', base.id, name);
  await unpack(part('data.tar.gz.dtb'), key, cluster);
  await unpack(part('wal.tar.gz.dtb'), key, path.join(cluster, 'pg_wal'));
  fs.writeFileSync(path.join(cluster, 'backup_label'), base.backup_label);
  if (base.tablespace_map !== '') fs.writeFileSync(path.join(cluster, 'tablespace_map'), base.tablespace_map);
  fs.writeFileSync(path.join(cluster, 'recovery.signal'), '');
  // A packaged server (Debian) keeps its configuration outside the data directory: the
  // recovering server gets every setting on its command line, and an empty file to start from.
  const conf = path.join(cluster, 'postgresql.conf');
  if (!fs.existsSync(conf))
    fs.writeFileSync(conf, '# restored by dastern backup: settings are given on the command line\n');
  if (base.parts.secrets) {
    fs.mkdirSync(path.join(target, 'secrets'), { recursive: true, mode: 0o700 });
    await unpack(part('secrets.tar.gz.dtb'), key, path.join(target, 'secrets'));
  }
  const from = segmentPosition(base.start_wal) ?? 0n;
  const wanted =
    options.immediate === true
      ? []
      : listArchivedWal(backupDir).filter((n) => n.endsWith('.history') || (segmentPosition(n) ?? -1n) >= from);
  step(`fetching ${wanted.length} archived WAL files`);
  await fetchWal(backupDir, key, walDir, wanted);
}

/** The recovering server's command line: Unix socket only, WAL from walDir, promoted at the target. */
function recoveryArguments(
  options: RestoreOptions,
  base: BackupManifest,
  paths: { cluster: string; walDir: string; socketDir: string },
): string[] {
  const { cluster, walDir, socketDir } = paths;
  const recovery =
    options.immediate === true
      ? ['-c', 'recovery_target=immediate']
      : options.to !== undefined
        ? ['-c', `recovery_target_time=${options.to.toISOString().replace('T', ' ').replace('Z', '+00')}`]
        : [];
  const minimums = Object.entries(base.settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return [
    '-D',
    cluster,
    '-p',
    '5432',
    '-c',
    'listen_addresses=',
    '-c',
    `unix_socket_directories=${socketDir}`,
    '-c',
    `hba_file=${path.join(socketDir, 'pg_hba.conf')}`,
    '-c',
    'archive_mode=off',
    '-c',
    `restore_command=cp '${walDir}/%f' '%p'`,
    '-c',
    'recovery_target_action=promote',
    ...minimums,
    ...recovery,
  ];
}

/** The promoted database checked: rows counted, audit chain verified, files restored and read. */
async function checkRestored(
  options: RestoreOptions,
  admin: pg.Client,
  at: { socketDir: string; superuser: string; database: string },
): Promise<Pick<RestoreResult, 'recovered_to' | 'rows' | 'audit' | 'files'>> {
  const { socketDir, superuser, database } = at;
  const replayed =
    (await admin.query<{ t: Date | null }>('SELECT pg_last_xact_replay_timestamp() AS t')).rows[0]?.t ?? null;
  options.onStep?.('checking the restored database');
  const app = new pg.Client({ host: socketDir, port: 5432, user: superuser, database });
  await app.connect();
  try {
    const rows = await countRows(app);
    const audit = await verifyAuditChain(
      `postgres://${encodeURIComponent(superuser)}@/${encodeURIComponent(database)}?host=${encodeURIComponent(socketDir)}&port=5432`,
    );
    restoreFiles(options.backupDir, path.join(options.target, 'files'));
    const fileKey = fileKeyOf(options.target, options.fileKey);
    const files = await checkFiles(
      app,
      fileKey ? new FileStore(path.join(options.target, 'files'), fileKey) : undefined,
    );
    return { recovered_to: replayed ? replayed.toISOString() : null, rows, audit, files };
  } finally {
    await app.end();
  }
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const began = Date.now();
  const step = options.onStep ?? (() => undefined);
  const { backupDir, target } = options;
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0)
    throw new BackupError(`${target} is not empty: restore into a new folder`);
  const base = chooseBase(listBackups(backupDir), options.immediate === true ? undefined : options.to);
  const { root: bin, runAs } = binariesFor(base.server_version, options.pgBinDir);
  const database = base.database ?? 'dastern';
  const superuser = base.superuser_name ?? 'postgres';
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const cluster = clusterDir(target, runAs);
  const walDir = `${cluster}.walrestore`;
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-restore-'));
  let child: ChildProcess | undefined;
  try {
    await layOutCluster(options, base, { cluster, walDir }, step);
    fs.chmodSync(cluster, 0o700);
    chownTree(cluster, runAs);
    chownTree(walDir, runAs);
    fs.writeFileSync(path.join(socketDir, 'pg_hba.conf'), 'local all all trust\n');
    fs.chmodSync(socketDir, 0o700);
    chownTree(socketDir, runAs);

    step(
      options.to !== undefined && options.immediate !== true
        ? `replaying WAL up to ${options.to.toISOString()}`
        : 'replaying WAL',
    );
    child = spawn(path.join(bin, 'bin', 'postgres'), recoveryArguments(options, base, { cluster, walDir, socketDir }), {
      ...(runAs ?? {}),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: childProcessEnv({ LC_MESSAGES: 'C' }),
    });
    const logTail: string[] = [];
    child.stderr?.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n')) if (line.trim() !== '') logTail.push(line);
      if (logTail.length > 50) logTail.splice(0, logTail.length - 50);
    });
    const admin = await waitForPromotion(child, socketDir, superuser, logTail);
    try {
      const { recovered_to, rows, audit, files } = await checkRestored(options, admin, {
        socketDir,
        superuser,
        database,
      });
      return { target, cluster, base: base.id, recovered_to, duration_ms: Date.now() - began, rows, audit, files };
    } finally {
      await admin.end();
    }
  } catch (err) {
    fs.rmSync(cluster, { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
    throw err;
  } finally {
    if (child && child.exitCode === null) {
      const done = new Promise((r) => child?.on('exit', r));
      child.kill('SIGINT');
      await done;
    }
    fs.rmSync(walDir, { recursive: true, force: true });
    fs.rmSync(socketDir, { recursive: true, force: true });
  }
}
