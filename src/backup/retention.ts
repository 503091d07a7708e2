/**
 * Retention of base backups: the newest of each of the last N days, N weeks and N months that
 * have a backup (7 / 4 / 12 by default), and always the newest. Point-in-time recovery reaches
 * back to the oldest daily backup: archived WAL before it goes (each base backup keeps the WAL
 * of its own copy, so the weekly and monthly ones still restore); timeline history files stay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { baseRoot, listArchivedWal, listBackups, segmentPosition, walRoot, type BackupManifest } from './layout.ts';

export interface RetentionPolicy {
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() === 0 ? 7 : t.getUTCDay();
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return `${t.getUTCFullYear()}-W${Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)}`;
}

/** The ids to keep, and the oldest daily one (where point-in-time recovery starts). Pure. */
export function backupsToKeep(
  backups: readonly BackupManifest[],
  policy: RetentionPolicy,
): { keep: Set<string>; pitrFrom: string | undefined } {
  const keep = new Set<string>();
  let pitrFrom: string | undefined;
  const newestFirst = [...backups].sort((a, b) => b.id.localeCompare(a.id));
  const first = newestFirst[0];
  if (first) keep.add(first.id);
  const buckets: Array<[(d: Date) => string, number]> = [
    [(d) => d.toISOString().slice(0, 10), policy.keepDaily],
    [isoWeek, policy.keepWeekly],
    [(d) => d.toISOString().slice(0, 7), policy.keepMonthly],
  ];
  buckets.forEach(([bucketOf, count], i) => {
    const seen = new Set<string>();
    for (const b of newestFirst) {
      const bucket = bucketOf(new Date(b.started_at));
      if (seen.has(bucket)) continue;
      if (seen.size >= count) break;
      seen.add(bucket);
      keep.add(b.id);
      if (i === 0) pitrFrom = b.id;
    }
  });
  return { keep, pitrFrom: pitrFrom ?? first?.id };
}

export interface PruneResult {
  removedBackups: string[];
  removedWal: number;
}

export function pruneBackups(dir: string, policy: RetentionPolicy): PruneResult {
  const backups = listBackups(dir);
  const { keep, pitrFrom } = backupsToKeep(backups, policy);
  const removedBackups = backups.filter((b) => !keep.has(b.id)).map((b) => b.id);
  for (const id of removedBackups) fs.rmSync(path.join(baseRoot(dir), id), { recursive: true, force: true });
  const from = backups.find((b) => b.id === pitrFrom);
  const oldest = from ? segmentPosition(from.start_wal) : undefined;
  let removedWal = 0;
  if (oldest !== undefined) {
    for (const name of listArchivedWal(dir)) {
      const pos = segmentPosition(name.slice(0, 24));
      if (name.endsWith('.history') || pos === undefined || pos >= oldest) continue;
      fs.rmSync(path.join(walRoot(dir), `${name}.gz.dtb`), { force: true });
      removedWal += 1;
    }
  }
  return { removedBackups, removedWal };
}
