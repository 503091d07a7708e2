/**
 * `dastern backup create`: a base backup through PostgreSQL's documented low-level API
 * (pg_backup_start / a file copy / pg_backup_stop), so it needs no client binary of the server's
 * version (the embedded server ships none, and Debian's pg_basebackup 15 refuses a 17 server).
 * It needs a superuser connection and the server's data directory on this machine: the embedded
 * default, or a local server run by root. The WAL written during the copy goes into the backup,
 * so a base backup restores on its own; the continuous archive (wal.ts) adds point-in-time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import pg from 'pg';
import { writeEncrypted, type WrittenFile } from './crypto.ts';
import { backupId, baseRoot, type BackupManifest } from './layout.ts';
import { mirrorFiles } from './files.ts';
import { shipWal } from './wal.ts';
import { walStagingDir } from '../db/embedded.ts';

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface CreateOptions {
  ownerUrl: string;
  backupDir: string;
  key: Buffer;
  /** DASTERN_DATA_DIR: its secrets/ and files/ go with the backup. */
  dataDir: string;
  /** Called as bytes of the cluster are copied (for a progress line on a terminal). */
  onProgress?: (copied: number, total: number) => void;
}

/** Files under `dir` (bytes), for progress only. */
function treeSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
    } catch {
      // removed while we looked: the server is running
    }
  }
  return total;
}

// PostgreSQL's documentation lists what a base backup leaves out (contents only; the folders stay).
const EXCLUDED = [
  './pg_wal/*',
  './pg_replslot/*',
  './pg_dynshmem/*',
  './pg_notify/*',
  './pg_serial/*',
  './pg_snapshots/*',
  './pg_stat_tmp/*',
  './pg_subtrans/*',
  './postmaster.pid',
  './postmaster.opts',
  './backup_label',
  './backup_label.old',
  './tablespace_map',
  '*/pgsql_tmp*',
];

/** A standby or recovering server refuses to start with less of these than the primary had. */
const RECOVERY_MINIMUMS = [
  'max_connections',
  'max_worker_processes',
  'max_wal_senders',
  'max_prepared_transactions',
  'max_locks_per_transaction',
];

/** GNU tar of a folder as a stream; exit status 1 ("a file changed as we read it") is expected of a live cluster. */
function tarStream(dir: string, excludes: readonly string[]): Readable {
  const child = spawn(
    'tar',
    [
      '-C',
      dir,
      '-cf',
      '-',
      '--warning=no-file-changed',
      '--warning=no-file-removed',
      '--warning=no-file-shrank',
      ...excludes.map((e) => `--exclude=${e}`),
      '.',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(err));
  child.on('close', (code) => {
    if (code === 0 || code === 1) out.end();
    else out.destroy(new BackupError(`tar of ${dir} failed (${String(code)}): ${stderr.trim()}`));
  });
  return out;
}

function counting(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

async function encryptTar(
  dir: string,
  excludes: readonly string[],
  file: string,
  key: Buffer,
  onBytes: (n: number) => void = () => undefined,
): Promise<WrittenFile> {
  return writeEncrypted(
    tarStream(dir, excludes)
      .pipe(counting(onBytes))
      .pipe(createGzip({ level: 3 })),
    file,
    key,
  );
}

/** The WAL segments start..stop (one timeline), copied from pg_wal into a folder of their own. */
function collectWal(
  clusterDir: string,
  startWal: string,
  stopWal: string,
  stagingDir: string | undefined,
  into: string,
): void {
  fs.mkdirSync(into, { recursive: true, mode: 0o700 });
  const timeline = startWal.slice(0, 8);
  let position = BigInt(`0x${startWal.slice(8, 16)}`) * 0x1_0000_0000n + BigInt(`0x${startWal.slice(16, 24)}`);
  const last = BigInt(`0x${stopWal.slice(8, 16)}`) * 0x1_0000_0000n + BigInt(`0x${stopWal.slice(16, 24)}`);
  for (; position <= last; position += 1n) {
    const name = `${timeline}${(position >> 32n).toString(16).toUpperCase().padStart(8, '0')}${(position & 0xffff_ffffn).toString(16).toUpperCase().padStart(8, '0')}`;
    const candidates = [path.join(clusterDir, 'pg_wal', name), ...(stagingDir ? [path.join(stagingDir, name)] : [])];
    const found = candidates.find((c) => fs.existsSync(c));
    if (found === undefined)
      throw new BackupError(`WAL segment ${name} of the backup is gone from pg_wal: run the backup again`);
    fs.copyFileSync(found, path.join(into, name));
  }
}

interface ServerInfo {
  data_dir: string;
  version: string;
  sysid: string;
  superuser: string;
  db: string;
  who: string;
}

/** The server to back up, checked: a superuser connection, its data directory on this machine. */
async function serverInfo(client: pg.Client): Promise<ServerInfo> {
  const info = (
    await client.query<ServerInfo>(
      `SELECT current_setting('data_directory') AS data_dir, current_setting('server_version') AS version,
              current_database() AS db, current_user AS who,
              (SELECT system_identifier::text FROM pg_control_system()) AS sysid, current_setting('is_superuser') AS superuser`,
    )
  ).rows[0];
  if (info?.superuser !== 'on')
    throw new BackupError('a base backup needs a superuser connection (DATABASE_URL as the owner)');
  if (!fs.existsSync(path.join(info.data_dir, 'PG_VERSION'))) {
    throw new BackupError(
      `the server's data directory ${info.data_dir} is not on this machine: back it up where it runs (pg_basebackup of the server's version, or \`dastern backup create\` there)`,
    );
  }
  return info;
}

interface BackupPosition {
  lsn: string;
  wal: string;
}

/** The data directory copied between pg_backup_start and pg_backup_stop (non-exclusive). */
async function copyCluster(
  client: pg.Client,
  options: CreateOptions,
  at: { id: string; cluster: string; dir: string },
): Promise<{
  start: BackupPosition;
  stop: BackupPosition & { labelfile: string; spcmapfile: string; at: Date };
  data: WrittenFile;
}> {
  const { id, cluster, dir } = at;
  const start = (
    await client.query<BackupPosition>(
      'SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn',
      [`dastern ${id}`],
    )
  ).rows[0];
  if (start === undefined) throw new BackupError('pg_backup_start returned nothing');
  let data: WrittenFile;
  try {
    const total = treeSize(cluster);
    let copied = 0;
    data = await encryptTar(cluster, EXCLUDED, path.join(dir, 'data.tar.gz.dtb'), options.key, (n) => {
      copied += n;
      options.onProgress?.(Math.min(copied, total), total);
    });
  } catch (err) {
    await client.query('SELECT pg_backup_stop(false)').catch(() => undefined);
    throw err;
  }
  // Not waiting for the archive: the segments of the copy are taken from pg_wal right away.
  const stop = (
    await client.query<BackupPosition & { labelfile: string; spcmapfile: string; at: Date }>(
      'SELECT lsn::text, pg_walfile_name(lsn) AS wal, labelfile, spcmapfile, clock_timestamp() AS at FROM pg_backup_stop(false)',
    )
  ).rows[0];
  if (stop === undefined) throw new BackupError('pg_backup_stop returned nothing');
  return { start, stop, data };
}

/** The WAL segments from start to stop, packed beside the copy (the backup restores on its own). */
async function packWal(
  options: CreateOptions,
  at: { cluster: string; staging: string; dir: string },
  start: BackupPosition,
  stop: BackupPosition,
): Promise<WrittenFile> {
  const walDir = fs.mkdtempSync(path.join(at.dir, 'wal-'));
  try {
    collectWal(at.cluster, start.wal, stop.wal, at.staging, walDir);
    return await encryptTar(walDir, [], path.join(at.dir, 'wal.tar.gz.dtb'), options.key);
  } finally {
    fs.rmSync(walDir, { recursive: true, force: true });
  }
}

export async function createBaseBackup(options: CreateOptions): Promise<BackupManifest> {
  const { ownerUrl, backupDir, key, dataDir } = options;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const startedAt = new Date();
  const id = backupId(startedAt);
  const dir = path.join(baseRoot(backupDir), id);
  try {
    const info = await serverInfo(client);
    const cluster = info.data_dir;
    const staging = walStagingDir(cluster);
    await shipWal(staging, backupDir, key);
    const settings = Object.fromEntries(
      (
        await client.query<{ name: string; setting: string }>(
          'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
          [RECOVERY_MINIMUMS],
        )
      ).rows.map((r) => [r.name, r.setting]),
    );
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { start, stop, data } = await copyCluster(client, options, { id, cluster, dir });
    const wal = await packWal(options, { cluster, staging, dir }, start, stop);
    const secretsDir = path.join(dataDir, 'secrets');
    const secrets = fs.existsSync(secretsDir)
      ? await encryptTar(secretsDir, [], path.join(dir, 'secrets.tar.gz.dtb'), key)
      : null;
    const filesCopied = mirrorFiles(path.join(dataDir, 'files'), backupDir);
    const manifest: BackupManifest = {
      format: 1,
      id,
      started_at: startedAt.toISOString(),
      stopped_at: stop.at.toISOString(),
      finished_at: new Date().toISOString(),
      server_version: info.version,
      database: info.db,
      superuser_name: info.who,
      system_identifier: info.sysid,
      timeline: Number.parseInt(start.wal.slice(0, 8), 16),
      start_lsn: start.lsn,
      stop_lsn: stop.lsn,
      start_wal: start.wal,
      stop_wal: stop.wal,
      settings,
      backup_label: stop.labelfile,
      tablespace_map: stop.spcmapfile,
      parts: { data, wal, secrets },
      files_copied: filesCopied,
      duration_ms: Date.now() - startedAt.getTime(),
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    return manifest;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    await client.end();
  }
}
