/** SQL of notifications and stream tickets (owner of notifications and notification_stream_tickets). */
import type { Database, Tx } from '../db/database.ts';
import type { UserRole } from '../auth/types.ts';

export interface NotificationRow {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
  total?: string;
  message_key: string | null;
  language: string | null;
}

// the owner's language: one primary-key lookup (the list reads it once, in a CTE)
const LANGUAGE = '(SELECT u.language FROM users u WHERE u.id = notifications.user_id) AS language';
const COLUMNS = 'id, type::text AS type, title, body, data, read_at, created_at, message_key';

export async function listRows(
  tx: Pick<Tx, 'query'>,
  userId: string,
  unreadOnly: boolean,
  limit: number,
  offset: number,
): Promise<NotificationRow[]> {
  const res = await tx.query<NotificationRow>(
    `WITH me AS (SELECT language FROM users WHERE id = $1)
     SELECT ${COLUMNS}, (SELECT language FROM me) AS language, count(*) OVER () AS total FROM notifications
      WHERE user_id = $1 AND ($2::boolean IS FALSE OR read_at IS NULL)
      ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`,
    [userId, unreadOnly, limit, offset],
  );
  return res.rows;
}

export async function unreadCount(tx: Pick<Tx, 'query'>, userId: string): Promise<number> {
  const res = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL',
    [userId],
  );
  return res.rows[0]?.n ?? 0;
}

export async function oneRow(tx: Pick<Tx, 'query'>, id: string): Promise<NotificationRow | undefined> {
  return (await tx.query<NotificationRow>(`SELECT ${COLUMNS}, ${LANGUAGE} FROM notifications WHERE id = $1`, [id]))
    .rows[0];
}

export async function markReadRow(tx: Pick<Tx, 'query'>, id: string): Promise<NotificationRow | undefined> {
  return (
    await tx.query<NotificationRow>(
      `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 RETURNING ${COLUMNS}, ${LANGUAGE}`,
      [id],
    )
  ).rows[0];
}

export async function markAllRead(tx: Pick<Tx, 'query'>, userId: string): Promise<number> {
  const res = await tx.query('UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL', [
    userId,
  ]);
  return res.rowCount ?? 0;
}

export interface NotificationInsert {
  userId: string;
  type: string;
  /** title and body per language; the recipient's stored language is picked (km when it cannot be read) */
  texts: Record<string, { title: string; body: string }>;
  data: unknown;
  messageKey: string;
  /** also the e-mail/push channels of the recipient's preferences */
  byPreferences: boolean;
  dedupeKey: string | null;
  skipDuplicate: boolean;
}

/** Returns whether a row was written (false: a duplicate skipped). */
export async function insertNotificationRow(tx: Pick<Tx, 'query'>, n: NotificationInsert): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO notifications (user_id, type, title, body, data, channels, message_key, dedupe_key)
     SELECT $1, $2::notification_type, x.t->>'title', x.t->>'body', $4::jsonb,
            CASE WHEN $6 THEN coalesce((SELECT notification_channels_for(notification_preferences) FROM users WHERE id = $1), '{in_app}') ELSE '{in_app}' END,
            $5, $7
       FROM (SELECT coalesce($3::jsonb -> (SELECT language FROM users WHERE id = $1), $3::jsonb -> 'km') AS t) AS x
     ${n.dedupeKey !== null && n.skipDuplicate ? 'ON CONFLICT (dedupe_key) DO NOTHING' : ''}`,
    [n.userId, n.type, JSON.stringify(n.texts), JSON.stringify(n.data), n.messageKey, n.byPreferences, n.dedupeKey],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Stores a ticket's hash for the session (clearing the user's expired ones); returns when it expires. */
export async function insertTicket(
  tx: Pick<Tx, 'query'>,
  t: { hash: string; userId: string; sessionId: string; seconds: number },
): Promise<Date> {
  await tx.query('DELETE FROM notification_stream_tickets WHERE user_id = $1 AND expires_at < now()', [t.userId]);
  // (no RETURNING: a live ticket is not readable, not even by its owner — only consumable)
  const res = await tx.query<{ expires_at: Date }>('SELECT now() + make_interval(secs => $1) AS expires_at', [
    t.seconds,
  ]);
  const expiresAt = res.rows[0]?.expires_at;
  if (expiresAt === undefined) throw new Error('no time from the database');
  await tx.query(
    `INSERT INTO notification_stream_tickets (ticket_hash, user_id, session_id, expires_at) VALUES ($1, $2, $3, $4)`,
    [t.hash, t.userId, t.sessionId, expiresAt],
  );
  return expiresAt;
}

/** No user context yet: the SECURITY DEFINER function is the only way in (one autocommit UPDATE). */
export async function consumeTicketRow(
  db: Database,
  hash: string,
): Promise<{ user_id: string; role: UserRole; session_id: string } | undefined> {
  const res = await db.pool.query<{ user_id: string; role: UserRole; session_id: string }>(
    'SELECT user_id, role, session_id FROM app_consume_stream_ticket($1)',
    [hash],
  );
  return res.rows[0];
}
