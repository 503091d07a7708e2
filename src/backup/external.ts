/**
 * Backups of an external PostgreSQL on this machine (DATABASE_URL set, e.g. Debian's server):
 * the operator lets the server archive its WAL into the staging folder beside its data
 * directory (`dastern backup archive-command` prints or applies the settings), and then
 * `dastern serve` ships that folder and takes the daily base backup exactly as for the embedded
 * server. A server on another machine is backed up where it runs.
 */
import fs from 'node:fs';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { walStagingDir } from '../db/embedded.ts';
import { startBackupSchedule, type BackupSchedule } from './schedule.ts';

export interface ArchiveSetup {
  cluster: string;
  staging: string;
  settings: { archive_mode: string; archive_command: string; archive_timeout: string };
  /** The server's current values. */
  current: { archive_mode: string; archive_command: string };
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * What the server must be told for its WAL to reach the staging folder; with `create`, the
 * folder is made (owned like the data directory) when the data directory is on this machine.
 */
export async function archiveSetup(ownerUrl: string, create = false): Promise<ArchiveSetup> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const row = (
      await client.query<{ dir: string; mode: string; command: string }>(
        "SELECT current_setting('data_directory') AS dir, current_setting('archive_mode') AS mode, current_setting('archive_command') AS command",
      )
    ).rows[0];
    if (row === undefined) throw new Error('the server did not answer');
    const staging = walStagingDir(row.dir);
    if (create && fs.existsSync(row.dir) && !fs.existsSync(staging)) {
      const owner = fs.statSync(row.dir);
      fs.mkdirSync(staging, { mode: 0o700 });
      if (typeof process.getuid === 'function' && process.getuid() === 0) fs.chownSync(staging, owner.uid, owner.gid);
    }
    return {
      cluster: row.dir,
      staging,
      settings: {
        archive_mode: 'on',
        archive_command: `test ! -f ${quote(staging)}/%f && cp %p ${quote(staging)}/%f`,
        archive_timeout: '60',
      },
      current: { archive_mode: row.mode, archive_command: row.command },
    };
  } finally {
    await client.end();
  }
}

/** ALTER SYSTEM for the three settings; archive_mode takes effect at the server's next restart. */
export async function applyArchiveSetup(ownerUrl: string, setup: ArchiveSetup): Promise<{ restartNeeded: boolean }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    for (const [name, value] of Object.entries(setup.settings)) {
      await client.query(`ALTER SYSTEM SET ${client.escapeIdentifier(name)} = ${client.escapeLiteral(value)}`);
    }
    await client.query('SELECT pg_reload_conf()');
    return { restartNeeded: setup.current.archive_mode === 'off' };
  } finally {
    await client.end();
  }
}

/** The backup schedule for an external server on this machine that archives into our staging folder; undefined otherwise. */
export async function startExternalBackupSchedule(
  config: Config,
  ownerUrl: string,
  logger: Logger,
): Promise<BackupSchedule | undefined> {
  let setup: ArchiveSetup;
  try {
    setup = await archiveSetup(ownerUrl);
  } catch (err) {
    logger.debug({ err }, 'external server: no backup schedule (its settings are not readable)');
    return undefined;
  }
  const archiving = setup.current.archive_mode !== 'off' && setup.current.archive_command.includes(setup.staging);
  if (!archiving || !fs.existsSync(setup.staging)) {
    logger.info('backups of the external database are not set up here (see `dastern backup archive-command`)');
    return undefined;
  }
  return startBackupSchedule(config, ownerUrl, setup.cluster, setup.staging, logger);
}
