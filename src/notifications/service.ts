/** Notifications of the signed-in user: list, unread count, mark read. RLS: only one's own rows. */
import { Type, type Static } from '@sinclair/typebox';
import type { Tx } from '../db/database.ts';
import { Nullable, Timestamp, Uuid } from '../http/schemas.ts';

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
}

const COLUMNS = 'id, type::text AS type, title, body, data, read_at, created_at';
const toView = (r: Row): NotificationT => ({ id: r.id, type: r.type, title: r.title, body: r.body, data: r.data, read_at: r.read_at?.toISOString() ?? null, created_at: r.created_at.toISOString() });

export async function listNotifications(tx: Tx, userId: string, unreadOnly: boolean, limit: number, offset: number) {
  const res = await tx.query<Row>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM notifications
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
  const res = await tx.query<Row>(`SELECT ${COLUMNS} FROM notifications WHERE id = $1`, [id]);
  const row = res.rows[0];
  return row === undefined ? undefined : toView(row);
}

export async function markRead(tx: Tx, id: string): Promise<NotificationT | undefined> {
  const res = await tx.query<Row>(`UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  const row = res.rows[0];
  return row === undefined ? undefined : toView(row);
}

export async function markAllRead(tx: Tx, userId: string): Promise<number> {
  const res = await tx.query('UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL', [userId]);
  return res.rowCount ?? 0;
}
