/**
 * In-app notifications in the reader's language. A row written by the service names its text by
 * `message_key` (notification.<key> in the catalogue) and is rendered when it is read (list,
 * live stream), so it follows the user's current language. Rows without a key keep the text
 * stored at creation: the SQL dispatcher (reminder_notification_title, alert_missed_streaks),
 * the refill check and the reading job write theirs in the recipient's language, with the
 * catalogue's words (test/i18n/http.test.ts checks that they agree). A catalogue entry without
 * a `body` keeps the stored body: it is data (the medicine and dose, a patient and a count).
 */
import type { Tx } from '../db/database.ts';
import { CATALOGUES, LANGUAGES, lookup, t, type Language, type MessageParams, type NotificationKey } from './index.ts';

export function isNotificationKey(value: unknown): value is NotificationKey {
  return typeof value === 'string' && Object.hasOwn(CATALOGUES.en.notification, value);
}

export interface StoredNotification {
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  message_key: string | null;
}

/** Placeholder values from the row's data (a dose slot becomes its word in `lang`). */
function paramsOf(lang: Language, data: Record<string, unknown>): MessageParams {
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string' || typeof v === 'number') params[k] = v;
  if (typeof data.slot === 'string') {
    const slot = lookup(lang, `slot.${data.slot}`);
    if (slot === undefined) delete params.slot;
    else params.slot = slot;
  }
  return params;
}

export function renderNotification(n: StoredNotification, lang: Language): { title: string; body: string } {
  if (!isNotificationKey(n.message_key)) return { title: n.title, body: n.body };
  let key: NotificationKey = n.message_key;
  const params = paramsOf(lang, n.data);
  if (key === 'reminder' && params.slot === undefined) key = 'reminder_any';
  const entry: Readonly<{ title: string; body?: string }> = CATALOGUES[lang].notification[key];
  const title = t(lang, `notification.${key}.title`, params);
  const body = entry.body === undefined ? n.body : lookup(lang, `notification.${key}.body`, params) ?? n.body;
  return { title, body };
}

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
 * One in-app notification named by its catalogue key. title/body are also stored, in the
 * recipient's language as the writer's RLS context sees it (km when it cannot), for the export.
 * Returns whether a row was written.
 */
export async function insertNotification(tx: Pick<Tx, 'query'>, n: NewNotification): Promise<boolean> {
  const texts: Record<string, { title: string; body: string }> = {};
  const data: Record<string, unknown> = n.data;
  for (const lang of LANGUAGES) texts[lang] = renderNotification({ type: n.type, title: '', body: '', data, message_key: n.key }, lang);
  const res = await tx.query(
    `INSERT INTO notifications (user_id, type, title, body, data, channels, message_key, dedupe_key)
     SELECT $1, $2::notification_type, x.t->>'title', x.t->>'body', $4::jsonb,
            CASE WHEN $6 THEN coalesce((SELECT notification_channels_for(notification_preferences) FROM users WHERE id = $1), '{in_app}') ELSE '{in_app}' END,
            $5, $7
       FROM (SELECT coalesce($3::jsonb -> (SELECT language FROM users WHERE id = $1), $3::jsonb -> 'km') AS t) AS x
     ${n.dedupeKey !== undefined && n.skipDuplicate === true ? 'ON CONFLICT (dedupe_key) DO NOTHING' : ''}`,
    [n.userId, n.type, JSON.stringify(texts), JSON.stringify(n.data), n.key, n.channels === 'preferences', n.dedupeKey ?? null],
  );
  return (res.rowCount ?? 0) > 0;
}
