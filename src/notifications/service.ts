/**
 * Notifications of the signed-in user: list, unread count, mark read. RLS: only one's own rows.
 * Title and body are rendered from the message catalogue in the owner's stored language
 * (src/i18n/notifications.ts); rows the catalogue does not name keep their stored text.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Tx } from '../db/database.ts';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { languageOf } from '../i18n/index.ts';
import { renderNotification } from '../i18n/notifications.ts';

export const Notification = Type.Object({
  id: Uuid,
  type: Type.String(),
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  read_at: Nullable(Timestamp),
  created_at: Timestamp,
});
export type NotificationT = Static<typeof Notification>;

interface Row {
  id: string; type: string; title: string; body: string; data: Record<string, unknown>; read_at: Date | null; created_at: Date; total?: string;
  message_key: string | null; language: string | null;
}

// the owner's language: one primary-key lookup (the list reads it once, in a CTE)
const LANGUAGE = '(SELECT u.language FROM users u WHERE u.id = notifications.user_id) AS language';
const COLUMNS = 'id, type::text AS type, title, body, data, read_at, created_at, message_key';
const toView = (r: Row): NotificationT => ({
  id: r.id, type: r.type, ...renderNotification(r, languageOf(r.language)), data: r.data,
  read_at: r.read_at?.toISOString() ?? null, created_at: r.created_at.toISOString(),
});

export async function listNotifications(tx: Tx, userId: string, unreadOnly: boolean, limit: number, offset: number) {
  const res = await tx.query<Row>(
    `WITH me AS (SELECT language FROM users WHERE id = $1)
     SELECT ${COLUMNS}, (SELECT language FROM me) AS language, count(*) OVER () AS total FROM notifications
      WHERE user_id = $1 AND ($2::boolean IS FALSE OR read_at IS NULL)
      ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`,
    [userId, unreadOnly, limit, offset],
  );
  return { items: res.rows.map(toView), total: Number(res.rows[0]?.total ?? 0), limit, offset };
}

export async function unreadCount(tx: Tx, userId: string): Promise<number> {
  const res = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL', [userId]);
  return res.rows[0]?.n ?? 0;
}

export async function getNotification(tx: Tx, id: string): Promise<NotificationT | undefined> {
  const res = await tx.query<Row>(`SELECT ${COLUMNS}, ${LANGUAGE} FROM notifications WHERE id = $1`, [id]);
  const row = res.rows[0];
  return row === undefined ? undefined : toView(row);
}

export async function markRead(tx: Tx, id: string): Promise<NotificationT | undefined> {
  const res = await tx.query<Row>(`UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 RETURNING ${COLUMNS}, ${LANGUAGE}`, [id]);
  const row = res.rows[0];
  return row === undefined ? undefined : toView(row);
}

export async function markAllRead(tx: Tx, userId: string): Promise<number> {
  const res = await tx.query('UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL', [userId]);
  return res.rowCount ?? 0;
}
