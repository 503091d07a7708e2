/**
 * Backups of the embedded default while `dastern serve` runs: every 30 s the WAL staged by
 * archive_command is shipped (encrypted) into the archive and new photos are copied; every
 * 10 minutes, when the newest base backup is over a day old, a new one is taken and retention
 * applied. This runs in the serving process, not as a queue job, because it needs the
 * database's own files: a worker on another machine could not do it.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createBaseBackup } from './base.ts';
import { mirrorFiles } from './files.ts';
import { loadBackupKey } from './key.ts';
import { listBackups } from './layout.ts';
import { pruneBackups } from './retention.ts';
import { shipWal } from './wal.ts';

const SHIP_MS = 30_000;
const CHECK_MS = 10 * 60_000;
const DAY_MS = 24 * 3600_000;

export interface BackupSchedule {
  stop(): Promise<void>;
}

export function startBackupSchedule(
  config: Config,
  ownerUrl: string,
  cluster: string,
  staging: string,
  logger: Logger,
): BackupSchedule {
  const key = loadBackupKey(config);
  let running: Promise<void> = Promise.resolve();
  const serial = (task: () => Promise<void>): void => {
    running = running.then(task).catch((err: unknown) => logger.error({ err }, 'backup task failed'));
  };
  const ship = async (): Promise<void> => {
    const wal = await shipWal(staging, config.backup.dir, key);
    const files = mirrorFiles(path.join(config.dataDir, 'files'), config.backup.dir);
    if (wal + files > 0) logger.debug({ wal, files }, 'backup: WAL and files shipped');
  };
  const daily = async (): Promise<void> => {
    const newest = listBackups(config.backup.dir).at(-1);
    if (newest && Date.now() - new Date(newest.started_at).getTime() < DAY_MS) return;
    const manifest = await createBaseBackup({ ownerUrl, backupDir: config.backup.dir, key, dataDir: config.dataDir });
    const pruned = pruneBackups(config.backup.dir, config.backup);
    logger.info(
      {
        backup: manifest.id,
        ms: manifest.duration_ms,
        bytes: manifest.parts.data.size,
        pruned: pruned.removedBackups.length,
      },
      'daily base backup written',
    );
  };
  const shipTimer = setInterval(() => serial(ship), SHIP_MS);
  const checkTimer = setInterval(() => serial(daily), CHECK_MS);
  shipTimer.unref();
  checkTimer.unref();
  logger.debug({ cluster, dir: config.backup.dir }, 'backup schedule started');
  return {
    async stop() {
      clearInterval(shipTimer);
      clearInterval(checkTimer);
      await running;
    },
  };
}
