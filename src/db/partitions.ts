/**
 * The monthly partitions of the log tables (migration 030): made ahead, and old months moved to
 * schema `archive` (kept, never deleted). SQL of the cluster's own upkeep, like the rest of src/db.
 */
import type { Tx } from './database.ts';

/** Partitions of this month and `monthsAhead` next ones for every log table; how many were created. */
export async function ensurePartitionsSql(tx: Tx, monthsAhead: number): Promise<number> {
  return Number(
    (await tx.query<{ n: number | string | null }>('SELECT app_partitions_ensure($1) AS n', [monthsAhead])).rows[0]
      ?.n ?? 0,
  );
}

/** The months of `table` before the last `keepMonths`, detached and moved to schema archive. */
export async function archivePartitionsSql(
  tx: Tx,
  table: string,
  keepMonths: number,
): Promise<Array<{ partition: string; rows: number }>> {
  const res = await tx.query<{ partition_name: string; row_count: string }>(
    'SELECT partition_name, row_count FROM app_partitions_archive($1, $2)',
    [table, keepMonths],
  );
  return res.rows.map((r) => ({ partition: r.partition_name, rows: Number(r.row_count) }));
}
