/** SQL of the admin statistics: the seed's functions get_user_statistics() and get_prescription_statistics(). */
import type { Tx } from '../db/database.ts';

export async function userStatistics(tx: Pick<Tx, 'query'>): Promise<Record<string, unknown>[]> {
  return (await tx.query<Record<string, unknown>>('SELECT * FROM get_user_statistics()')).rows;
}

export async function prescriptionStatistics(tx: Pick<Tx, 'query'>): Promise<Record<string, unknown>[]> {
  return (await tx.query<Record<string, unknown>>('SELECT * FROM get_prescription_statistics()')).rows;
}
