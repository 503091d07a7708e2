/**
 * What a backup directory holds (DASTERN_BACKUP_DIR, default DASTERN_DATA_DIR/backups):
 *   base/<id>/manifest.json      written last: a base backup without it is incomplete
 *   base/<id>/data.tar.gz.dtb    the cluster's files, copied between pg_backup_start and _stop
 *   base/<id>/wal.tar.gz.dtb     the WAL segments from start to stop (the backup restores alone)
 *   base/<id>/secrets.tar.gz.dtb DASTERN_DATA_DIR/secrets (keys generated in development)
 *   wal/<segment>.gz.dtb         continuous WAL archive (point-in-time recovery)
 *   files/YYYY/MM/<uuid>.bin     copy of the file store (each file already AES-GCM encrypted)
 * Every .dtb file is AES-256-GCM encrypted with the backup key (crypto.ts); the manifest holds
 * no personal data (times, LSNs, sizes and hashes).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PartInfo {
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: 1;
  id: string;
  started_at: string;
  /** When pg_backup_stop returned: the earliest time this backup can be restored to. */
  stopped_at: string;
  finished_at: string;
  server_version: string;
  /** The database DasTern uses and the superuser the backup ran as (absent in early backups: dastern, postgres). */
  database?: string;
  superuser_name?: string;
  system_identifier: string;
  timeline: number;
  start_lsn: string;
  stop_lsn: string;
  start_wal: string;
  stop_wal: string;
  backup_label: string;
  tablespace_map: string;
  /** Settings a recovering server may not set lower than its primary did. */
  settings: Record<string, string>;
  parts: { data: PartInfo; wal: PartInfo; secrets: PartInfo | null };
  files_copied: number;
  duration_ms: number;
}

export const baseRoot = (dir: string): string => path.join(dir, 'base');
export const walRoot = (dir: string): string => path.join(dir, 'wal');
export const filesRoot = (dir: string): string => path.join(dir, 'files');

/** A base backup's id: its start time, sortable (20261204T193000123Z). */
export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

/** The complete base backups, oldest first. */
export function listBackups(dir: string): BackupManifest[] {
  const root = baseRoot(dir);
  if (!fs.existsSync(root)) return [];
  const out: BackupManifest[] = [];
  for (const id of fs.readdirSync(root).sort()) {
    const file = path.join(root, id, 'manifest.json');
    if (!fs.existsSync(file)) continue;
    out.push(JSON.parse(fs.readFileSync(file, 'utf8')) as BackupManifest);
  }
  return out;
}

/** Archived WAL file names (segments and timeline history files), sorted. */
export function listArchivedWal(dir: string): string[] {
  const root = walRoot(dir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((f) => f.endsWith('.gz.dtb'))
    .map((f) => f.slice(0, -'.gz.dtb'.length))
    .sort();
}

/** "000000010000000000000003" → its position (log × 2^32/segsize + seg) ignoring the timeline. */
export function segmentPosition(name: string): bigint | undefined {
  if (!/^[0-9A-F]{24}$/.test(name)) return undefined;
  return BigInt(`0x${name.slice(8, 16)}`) * 0x1_0000_0000n + BigInt(`0x${name.slice(16, 24)}`);
}
