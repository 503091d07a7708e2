/** `dastern backup create | list | verify | restore` (CONTRACTS.md §8; src/backup/). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { commandLogLevel, loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { walStagingDir } from '../db/embedded.ts';
import { createBaseBackup } from '../backup/base.ts';
import { loadBackupKey } from '../backup/key.ts';
import { listBackups, type BackupManifest } from '../backup/layout.ts';
import { restoreBackup, type RestoreResult } from '../backup/restore.ts';
import { pruneBackups } from '../backup/retention.ts';
import { flushWalArchive } from '../backup/wal.ts';
import { applyArchiveSetup, archiveSetup } from '../backup/external.ts';
import { loadFileKey } from '../files/key.ts';
import { dataDirectory } from '../db/cluster.ts';

const tty = process.stdout.isTTY;
const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MB`;

function progress(copied: number, total: number): void {
  if (!tty) return;
  const pct = total > 0 ? Math.min(100, Math.floor((copied / total) * 100)) : 0;
  process.stdout.write(`\rcopying the cluster: ${pct}% (${mb(copied)} of ${mb(total)})   `);
}

function step(text: string): void {
  if (tty) process.stdout.write(`${text}…\n`);
}

/** The owner URL, using the running embedded server when `dastern serve` is up. */
async function withDatabase<T>(config: Config, fn: (ownerUrl: string) => Promise<T>): Promise<T> {
  const urls = await prepareDatabase(config, createLogger(commandLogLevel()), { migrate: false, seedWhenNew: false });
  try {
    return await fn(urls.ownerUrl);
  } finally {
    await urls.embedded?.stop();
  }
}

function parseTime(raw: string): Date {
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(raw.trim()))
    throw new Error('--to needs a time with its zone, e.g. 2026-12-04T14:05:00+07:00 or …Z');
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new Error(`--to: "${raw}" is not a date and time`);
  return at;
}

function describe(b: BackupManifest): string {
  return `${b.id}  ${b.started_at}  restorable from ${b.stopped_at}  ${mb(b.parts.data.size + b.parts.wal.size)}  PostgreSQL ${b.server_version}`;
}

function report(r: RestoreResult): string {
  const tables = Object.entries(r.rows)
    .map(([t, n]) => `  ${t}: ${n}`)
    .join('\n');
  const audit = r.audit.ok
    ? `audit chain OK (${r.audit.checked_rows} rows)`
    : `audit chain BROKEN at seq ${r.audit.first_bad_seq ?? '?'}: ${r.audit.problem ?? ''}`;
  const files = `files: ${r.files.referenced} referenced, ${r.files.missing.length} missing, ${r.files.unreadable.length} unreadable`;
  return `base ${r.base}, recovered to ${r.recovered_to ?? 'the base backup'} in ${(r.duration_ms / 1000).toFixed(1)} s\n${audit}\n${files}\nrows:\n${tables}`;
}

const healthy = (r: RestoreResult): boolean =>
  r.audit.ok && r.files.missing.length === 0 && r.files.unreadable.length === 0;

async function createBackup(opts: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const key = loadBackupKey(config);
  const manifest = await withDatabase(config, (ownerUrl) =>
    createBaseBackup({
      ownerUrl,
      backupDir: config.backup.dir,
      key,
      dataDir: config.dataDir,
      onProgress: progress,
    }),
  );
  if (tty) process.stdout.write('\n');
  const pruned = pruneBackups(config.backup.dir, config.backup);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...manifest, pruned })}\n`);
  else
    process.stdout.write(
      `backup ${manifest.id} written to ${path.join(config.backup.dir, 'base', manifest.id)} in ${(manifest.duration_ms / 1000).toFixed(1)} s (${mb(manifest.parts.data.size)}); ${pruned.removedBackups.length} old backups removed\n`,
    );
  if (config.backup.key === undefined)
    process.stderr.write(
      `note: the backup key is ${path.join(config.dataDir, 'secrets', 'backup-key')}; keep a copy away from this machine (or set DASTERN_BACKUP_KEY)\n`,
    );
}

function listBaseBackups(opts: { json?: boolean }): void {
  const config = loadConfig();
  const all = listBackups(config.backup.dir);
  if (opts.json) process.stdout.write(`${JSON.stringify(all)}\n`);
  else process.stdout.write(all.length === 0 ? 'no base backup yet\n' : `${all.map(describe).join('\n')}\n`);
}

async function verifyNewest(opts: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-verify-'));
  fs.rmSync(target, { recursive: true });
  const result = await restoreBackup({
    backupDir: config.backup.dir,
    key: loadBackupKey(config),
    target,
    immediate: true,
    fileKey: fileKeyIfSet(config),
    onStep: step,
    pgBinDir: config.backup.pgBinDir,
  });
  try {
    process.stdout.write(`${opts.json ? JSON.stringify(result) : report(result)}\n`);
    if (!healthy(result)) process.exitCode = 1;
  } finally {
    fs.rmSync(result.cluster, { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
  }
}

async function archiveCommand(opts: { apply?: boolean }): Promise<void> {
  const config = loadConfig();
  await withDatabase(config, async (ownerUrl) => {
    const setup = await archiveSetup(ownerUrl, true);
    const lines = Object.entries(setup.settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`);
    process.stdout.write(
      `# postgresql.conf of the server whose data directory is ${setup.cluster}\n${lines.join('\n')}\n`,
    );
    if (opts.apply) {
      const { restartNeeded } = await applyArchiveSetup(ownerUrl, setup);
      process.stdout.write(
        restartNeeded ? 'set; restart the server for archive_mode to take effect\n' : 'set and reloaded\n',
      );
    }
  });
}

async function restoreInto(opts: { target: string; to?: string; json?: boolean }): Promise<void> {
  const config = loadConfig();
  const key = loadBackupKey(config);
  const to = opts.to === undefined ? undefined : parseTime(opts.to);
  try {
    await withDatabase(config, async (ownerUrl) => {
      step('closing the current WAL segment');
      await flushWalArchive(ownerUrl, walStagingDir(await dataDirectory(ownerUrl)), config.backup.dir, key);
    });
  } catch (err) {
    process.stderr.write(
      `note: the database is not reachable (${err instanceof Error ? err.message : String(err)}): restoring from the archive as it is\n`,
    );
  }
  const result = await restoreBackup({
    backupDir: config.backup.dir,
    key,
    target: path.resolve(opts.target),
    to,
    fileKey: fileKeyIfSet(config),
    onStep: step,
    pgBinDir: config.backup.pgBinDir,
  });
  process.stdout.write(
    `${opts.json ? JSON.stringify(result) : `${report(result)}\nrestored into ${result.target}: start it with DASTERN_DATA_DIR=${result.target} npx dastern serve`}\n`,
  );
  if (!healthy(result)) process.exitCode = 1;
}

export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('encrypted base backups, WAL archive and point-in-time recovery');
  backup
    .command('create')
    .description('take a base backup now (and apply retention)')
    .option('--json', 'print the manifest as JSON')
    .action(createBackup);
  backup.command('list').description('the base backups kept').option('--json', 'as JSON').action(listBaseBackups);
  backup
    .command('verify')
    .description('restore the newest backup into a scratch cluster and check it (exit 1 when it fails)')
    .option('--json', 'as JSON')
    .action(verifyNewest);
  backup
    .command('archive-command')
    .description(
      'an external server on this machine: the WAL archiving settings that let `dastern serve` back it up (--apply: ALTER SYSTEM)',
    )
    .option('--apply', 'set them on the server (archive_mode needs a restart of the server)')
    .action(archiveCommand);
  backup
    .command('restore')
    .description('rebuild the database (and files) into a NEW data directory, up to a point in time')
    .requiredOption('--target <dir>', 'a new folder; it becomes a DASTERN_DATA_DIR')
    .option('--to <time>', 'recover up to this time (ISO 8601 with its zone); default: everything archived')
    .option('--json', 'as JSON')
    .action(restoreInto);
}

function fileKeyIfSet(config: Config): Buffer | undefined {
  return config.fileKey !== undefined ? loadFileKey(config) : undefined;
}
