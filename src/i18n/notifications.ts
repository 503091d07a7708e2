/**
 * In-app notifications in the reader's language. A row written by the service names its text by
 * `message_key` (notification.<key> in the catalogue) and is rendered when it is read (list,
 * live stream), so it follows the user's current language. Rows without a key keep the text
 * stored at creation: the SQL dispatcher (reminder_notification_title, alert_missed_streaks)
 * and the refill check write theirs in the recipient's language, with the
 * catalogue's words (test/i18n/http.test.ts checks that they agree). A catalogue entry without
 * a `body` keeps the stored body: it is data (the medicine and dose, a patient and a count).
 */
import { CATALOGUES, lookup, t, type Language, type MessageParams, type NotificationKey } from './index.ts';

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
  const body = entry.body === undefined ? n.body : (lookup(lang, `notification.${key}.body`, params) ?? n.body);
  return { title, body };
}

// Writing a notification is the notifications module's (src/notifications/service.ts); kept here for existing imports.
export { insertNotification, type NewNotification } from '../notifications/service.ts';
