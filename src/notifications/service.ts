/**
 * Notifications: writing one (insertNotification, for services and jobs), and the signed-in
 * user's list, unread count, mark read. RLS: only one's own rows.
 * Title and body are rendered from the message catalogue in the owner's stored language
 * (src/i18n/notifications.ts); rows the catalogue does not name keep their stored text.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Tx } from '../db/database.ts';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { LANGUAGES, languageOf, type NotificationKey } from '../i18n/index.ts';
import { renderNotification } from '../i18n/notifications.ts';
import * as q from './queries.ts';

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

const toView = (r: q.NotificationRow): NotificationT => ({
  id: r.id,
  type: r.type,
  ...renderNotification(r, languageOf(r.language)),
  data: r.data,
  read_at: r.read_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
});

export async function listNotifications(tx: Tx, userId: string, unreadOnly: boolean, limit: number, offset: number) {
  const rows = await q.listRows(tx, userId, unreadOnly, limit, offset);
  return { items: rows.map(toView), total: Number(rows[0]?.total ?? 0), limit, offset };
}

export const unreadCount = (tx: Tx, userId: string): Promise<number> => q.unreadCount(tx, userId);

export async function getNotification(tx: Tx, id: string): Promise<NotificationT | undefined> {
  const row = await q.oneRow(tx, id);
  return row === undefined ? undefined : toView(row);
}

export async function markRead(tx: Tx, id: string): Promise<NotificationT | undefined> {
  const row = await q.markReadRow(tx, id);
  return row === undefined ? undefined : toView(row);
}

export const markAllRead = (tx: Tx, userId: string): Promise<number> => q.markAllRead(tx, userId);

export interface NewNotification {
  userId: string;
  /** notification_type */
  type: 'reminder' | 'alert' | 'message' | 'system' | 'refill' | 'invitation' | 'missed_dose' | 'prescription';
  key: NotificationKey;
  /** Stored as the row's data; its strings and numbers fill the text's {{placeholders}}. */
  data: Record<string, string | number | boolean | null | readonly string[]>;
  /**
   * 'in_app' (default) or 'preferences': also the e-mail and push channels the recipient chose
   * (those carry only the catalogue's outgoing.* text for the type, never this text).
   */
  channels?: 'in_app' | 'preferences';
  /** A unique key: the notification is written once. */
  dedupeKey?: string;
  /**
   * With dedupeKey: a second one is skipped silently (ON CONFLICT DO NOTHING, which needs to see
   * the recipient's notifications under RLS); without it a second one is an error.
   */
  skipDuplicate?: boolean;
}

/**
 * One in-app notification named by its catalogue key: the one way to write a notification, for
 * routes (through their services) and jobs alike (the reading job's "prescription ready"). title/body are also stored, in the
 * recipient's language as the writer's RLS context sees it (km when it cannot), for the export.
 * Returns whether a row was written.
 */
export async function insertNotification(tx: Pick<Tx, 'query'>, n: NewNotification): Promise<boolean> {
  const texts: Record<string, { title: string; body: string }> = {};
  const data: Record<string, unknown> = n.data;
  for (const lang of LANGUAGES)
    texts[lang] = renderNotification({ type: n.type, title: '', body: '', data, message_key: n.key }, lang);
  return q.insertNotificationRow(tx, {
    userId: n.userId,
    type: n.type,
    texts,
    data: n.data,
    messageKey: n.key,
    byPreferences: n.channels === 'preferences',
    dedupeKey: n.dedupeKey ?? null,
    skipDuplicate: n.dedupeKey !== undefined && n.skipDuplicate === true,
  });
}
