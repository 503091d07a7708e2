/** SQL of the administration of accounts (the users table is the users module's): search, one account, activation, doctor verification. */
import type { Tx } from '../db/database.ts';

export interface AccountRow {
  id: string;
  email: string;
  role: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  email_verified_at: Date | null;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  total?: string;
  license_number: string | null;
  doctor_verified_at: Date | null;
}

const COLUMNS = `id, email::text AS email, role::text AS role, first_name, last_name, is_active, email_verified_at, locked_until, last_login_at, created_at,
  license_number, doctor_verified_at`;

export async function emailTaken(tx: Pick<Tx, 'query'>, email: string): Promise<boolean> {
  return ((await tx.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount ?? 0) > 0;
}

export async function account(tx: Pick<Tx, 'query'>, id: string): Promise<AccountRow | undefined> {
  return (await tx.query<AccountRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL`, [id]))
    .rows[0];
}

/** `pattern` is a LIKE pattern (see likePattern); null filters are not applied. Newest first, with the total. */
export async function searchAccounts(
  tx: Pick<Tx, 'query'>,
  f: { pattern: string | null; role: string | null; active: boolean | null; limit: number; offset: number },
): Promise<AccountRow[]> {
  return (
    await tx.query<AccountRow>(
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM users
      WHERE deleted_at IS NULL AND ($1::text IS NULL OR lower(email::text) LIKE $1 OR lower(first_name || ' ' || last_name) LIKE $1)
        AND ($2::user_role IS NULL OR role = $2::user_role) AND ($3::boolean IS NULL OR is_active = $3)
      ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [f.pattern, f.role, f.active, f.limit, f.offset],
    )
  ).rows;
}

export async function setActive(tx: Pick<Tx, 'query'>, id: string, active: boolean): Promise<void> {
  await tx.query('UPDATE users SET is_active = $2 WHERE id = $1', [id, active]);
}

/** Does another verified doctor hold this licence number? */
export async function licenceVerifiedElsewhere(tx: Pick<Tx, 'query'>, licence: string, id: string): Promise<boolean> {
  const res = await tx.query(
    'SELECT id FROM users WHERE license_number = $1 AND doctor_verified_at IS NOT NULL AND id <> $2',
    [licence, id],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Clears the licence number from the unverified accounts that claimed it; returns their ids. */
export async function clearLicenceClaims(tx: Pick<Tx, 'query'>, licence: string, id: string): Promise<string[]> {
  const res = await tx.query<{ id: string }>(
    'UPDATE users SET license_number = NULL WHERE license_number = $1 AND id <> $2 AND doctor_verified_at IS NULL RETURNING id',
    [licence, id],
  );
  return res.rows.map((r) => r.id);
}

export async function markDoctorVerified(tx: Pick<Tx, 'query'>, id: string): Promise<void> {
  await tx.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [id]);
}
