/** SQL of accounts and sessions. Parameterised; the RLS context comes from the caller's transaction. */
import type pg from 'pg';
import { checkout, type Database, type RequestMeta, type Tx } from '../db/database.ts';
import type { UserRole } from './types.ts';

export const PUBLIC_USER_COLUMNS = `id, email::text AS email, role::text AS role, first_name, last_name,
  (email_verified_at IS NOT NULL) AS email_verified, language, timezone, created_at`;

export interface PublicUserRow {
  id: string;
  email: string;
  role: UserRole;
  first_name: string | null;
  last_name: string | null;
  email_verified: boolean;
  language: string;
  timezone: string;
  created_at: Date;
}

export interface AuthUserRow {
  id: string;
  role: UserRole;
  password_hash: string;
  is_active: boolean;
  email_verified_at: Date | null;
  locked_until: Date | null;
  deleted_at: Date | null;
}

/**
 * A transaction with NO user context, for the few SECURITY DEFINER auth functions that run
 * before anybody is signed in (find the account, count a failure, rotate a refresh token).
 * Only the fixed statements of this module run here — never a query built elsewhere.
 */
export async function anonymous<T>(
  db: Database,
  meta: RequestMeta,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const { client, release } = await checkout(db.pool);
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.client_ip', $1, true), set_config('app.user_agent', $2, true)`, [
      meta.ip ?? '',
      (meta.userAgent ?? '').slice(0, 512),
    ]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    release(broken);
  }
}

export async function findUserByEmail(client: pg.PoolClient, email: string): Promise<AuthUserRow | undefined> {
  const res = await client.query<AuthUserRow>(
    'SELECT id, role::text AS role, password_hash, is_active, email_verified_at, locked_until, deleted_at FROM app_auth_find_user($1)',
    [email],
  );
  return res.rows[0];
}

export async function recordLoginFailure(
  client: pg.PoolClient,
  userId: string,
  max: number,
  windowMinutes: number,
  lockMinutes: number,
): Promise<Date | null> {
  const res = await client.query<{ locked_until: Date | null }>(
    `SELECT app_auth_record_login_failure($1, $2, make_interval(mins => $3), make_interval(mins => $4)) AS locked_until`,
    [userId, max, windowMinutes, lockMinutes],
  );
  return res.rows[0]?.locked_until ?? null;
}

/** The sign-in throttle's keys for one attempt (sha256 hex; see migration 020). */
export interface ThrottleKeys {
  pair: string;
  account: string;
  ip: string;
  emailHash: string;
}

export interface ThrottleLimits {
  pair: number;
  account: number;
  ip: number;
  windowMinutes: number;
  baseSeconds: number;
  capMinutes: number;
}

/** The latest running block on any of the attempt's keys, or null. */
export async function throttleBlocked(client: pg.PoolClient, k: ThrottleKeys): Promise<Date | null> {
  const res = await client.query<{ until: Date | null }>('SELECT app_auth_throttle_blocked($1) AS until', [
    [`pair:${k.pair}`, `account:${k.account}`, `ip:${k.ip}`],
  ]);
  return res.rows[0]?.until ?? null;
}

/** Counts a failure under every key; the latest block now running, or null. */
export async function throttleFail(
  client: pg.PoolClient,
  k: ThrottleKeys,
  userId: string | null,
  l: ThrottleLimits,
): Promise<Date | null> {
  const res = await client.query<{ until: Date | null }>(
    `SELECT app_auth_throttle_fail($1, $2, $3, $4, $5, $6, make_interval(mins => $7), make_interval(secs => $8), make_interval(mins => $9)) AS until`,
    [
      k.pair,
      k.account,
      k.ip,
      k.emailHash,
      userId,
      [l.pair, l.account, l.ip],
      l.windowMinutes,
      l.baseSeconds,
      l.capMinutes,
    ],
  );
  return res.rows[0]?.until ?? null;
}

export async function throttleClear(client: pg.PoolClient, k: ThrottleKeys): Promise<void> {
  await client.query('SELECT app_auth_throttle_clear($1, $2)', [k.pair, k.account]);
}

/** A password reset lifts every block on the address. */
export async function throttleLift(tx: Tx, emailHash: string): Promise<void> {
  await tx.query('SELECT app_auth_throttle_lift($1)', [emailHash]);
}

export async function recordLoginSuccess(client: pg.PoolClient, userId: string): Promise<void> {
  await client.query('SELECT app_auth_record_login_success($1)', [userId]);
}

export interface RotateRow {
  result: 'rotated' | 'reuse_detected' | 'revoked' | 'expired' | 'user_inactive' | 'not_found';
  session_id: string | null;
  user_id: string | null;
  user_role: UserRole | null;
}

export async function rotateSession(
  client: pg.PoolClient,
  oldHash: string,
  newHash: string,
  expiresAt: Date,
): Promise<RotateRow> {
  const res = await client.query<RotateRow>(
    'SELECT result, session_id, user_id, user_role::text AS user_role FROM app_session_rotate($1, $2, $3)',
    [oldHash, newHash, expiresAt],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('app_session_rotate returned no row');
  return row;
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  role: 'patient' | 'doctor' | 'admin';
  firstName: string;
  lastName: string;
  phone: string | null;
  language: string;
  timezone: string;
  dateOfBirth: string | null;
}

export async function insertUser(tx: Tx, u: NewUser): Promise<PublicUserRow> {
  const res = await tx.query<PublicUserRow>(
    `INSERT INTO users (id, email, password_hash, role, first_name, last_name, phone, language, timezone, date_of_birth)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     RETURNING ${PUBLIC_USER_COLUMNS}`,
    [u.id, u.email, u.passwordHash, u.role, u.firstName, u.lastName, u.phone, u.language, u.timezone, u.dateOfBirth],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

export async function publicUser(tx: Tx, userId: string): Promise<PublicUserRow | undefined> {
  const res = await tx.query<PublicUserRow>(`SELECT ${PUBLIC_USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return res.rows[0];
}

export interface SessionInput {
  userId: string;
  refreshHash: string;
  expiresAt: Date;
  ip: string | undefined;
  userAgent: string | undefined;
  device: Record<string, string>;
}

export async function insertSession(tx: Tx, s: SessionInput): Promise<string> {
  const res = await tx.query<{ id: string }>(
    `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at, ip_address, user_agent, device_info, last_used_at)
     VALUES ($1, $2, $3, $4::inet, $5, $6, now()) RETURNING id`,
    [s.userId, s.refreshHash, s.expiresAt, s.ip ?? null, s.userAgent?.slice(0, 1024) ?? null, JSON.stringify(s.device)],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('insert returned no row');
  return row.id;
}

export async function revokeSession(tx: Tx, sessionId: string, reason: string): Promise<number> {
  const res = await tx.query(
    `UPDATE user_sessions SET revoked_at = now(), revoke_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
    [sessionId, reason],
  );
  return res.rowCount ?? 0;
}

export async function revokeAllSessions(
  tx: Tx,
  userId: string,
  reason: string,
  exceptSessionId: string | null = null,
): Promise<number> {
  const res = await tx.query(
    `UPDATE user_sessions SET revoked_at = now(), revoke_reason = $2
      WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
    [userId, reason, exceptSessionId],
  );
  return res.rowCount ?? 0;
}

export async function passwordHashOf(tx: Tx, userId: string): Promise<string | undefined> {
  // password_hash is not readable by the service's role (migration 014): through the function
  const res = await tx.query<{ password_hash: string | null }>('SELECT app_user_password_hash($1) AS password_hash', [
    userId,
  ]);
  return res.rows[0]?.password_hash ?? undefined;
}

export async function setPassword(tx: Tx, userId: string, hash: string): Promise<void> {
  await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, hash]);
}

/** What an e-mail link is bound to: it stops working as soon as this changes. */
export interface LinkState {
  email: string;
  email_verified_at: Date | null;
  password_hash: string;
  is_active: boolean;
  deleted_at: Date | null;
}

export async function linkState(tx: Tx, userId: string): Promise<LinkState | undefined> {
  const res = await tx.query<LinkState>(
    'SELECT email::text AS email, email_verified_at, app_user_password_hash(id) AS password_hash, is_active, deleted_at FROM users WHERE id = $1',
    [userId],
  );
  return res.rows[0];
}

export async function markEmailVerified(tx: Tx, userId: string): Promise<void> {
  await tx.query('UPDATE users SET email_verified_at = now() WHERE id = $1 AND email_verified_at IS NULL', [userId]);
}

/** Expired and long-revoked sessions removed (cleanup_expired_sessions, as 'system'). */
export async function cleanupExpiredSessions(tx: Pick<Tx, 'query'>): Promise<number> {
  return Number((await tx.query<{ n: number }>('SELECT cleanup_expired_sessions() AS n')).rows[0]?.n ?? 0);
}

/** Sign-in failure counters untouched for a day and no longer blocking, removed (app_auth_throttle_cleanup). */
export async function cleanupThrottle(tx: Pick<Tx, 'query'>): Promise<number> {
  return Number((await tx.query<{ n: number }>('SELECT app_auth_throttle_cleanup() AS n')).rows[0]?.n ?? 0);
}

/** The check that travels with every signed-in request's BEGIN (src/http/auth.ts): the session is open and the account active. */
export const LIVE_SESSION_CHECK = `
  SELECT 1 FROM user_sessions s JOIN users u ON u.id = s.user_id
   WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
     AND u.is_active AND u.deleted_at IS NULL`;
