/**
 * What leaves the server on the push and e-mail channels: a short text in the user's language
 * (km, en, fr; the catalogue's outgoing.*) and a link to the app. Never the medicine, the dose, a
 * patient's name or a doctor's note — those stay in the in-app notification, behind sign-in.
 * The texts are ours, chosen by the notification's type, not copied from its stored title or body.
 */
import { languageOf, lookup, t, type Language } from '../i18n/index.ts';

export { languageOf, type Language };

export interface OutgoingNotification {
  id: string;
  type: string;
  /** Only `slot` is read (a dose-time word, not medical detail). */
  data: Record<string, unknown>;
  language: Language;
}

const BY_TYPE = {
  missed_dose: 'outgoing.missed_dose',
  prescription: 'outgoing.prescription',
  refill: 'outgoing.refill',
  invitation: 'outgoing.invitation',
  message: 'outgoing.message',
} as const;

export function outgoingTitle(n: OutgoingNotification): string {
  if (n.type === 'reminder') {
    const slot = typeof n.data.slot === 'string' ? lookup(n.language, `slot.${n.data.slot}`) : undefined;
    return slot === undefined ? t(n.language, 'outgoing.reminder_any') : t(n.language, 'outgoing.reminder', { slot });
  }
  const key = Object.hasOwn(BY_TYPE, n.type) ? BY_TYPE[n.type as keyof typeof BY_TYPE] : 'outgoing.generic';
  return t(n.language, key);
}

export function notificationLink(publicUrl: string, id: string): string {
  return `${publicUrl}/notifications/${encodeURIComponent(id)}`;
}

export function emailFor(
  n: OutgoingNotification,
  to: string,
  publicUrl: string,
): { to: string; subject: string; text: string; messageId: string } {
  const title = outgoingTitle(n);
  return {
    to,
    // one notification, one Message-ID: a send repeated after a crash is recognisably the same
    messageId: `<notification-${n.id}@${new URL(publicUrl).hostname}>`,
    subject: `DasTern: ${title}`,
    text: [
      title,
      '',
      t(n.language, 'outgoing.open_app'),
      notificationLink(publicUrl, n.id),
      '',
      '--',
      t(n.language, 'outgoing.why'),
      `${publicUrl}/settings`,
    ].join('\n'),
  };
}

/** The JSON the service worker receives (it shows `title`/`body`; `tag` collapses duplicates). */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  tag: string;
  type: string;
  notification_id: string;
}

export function pushPayloadFor(n: OutgoingNotification, publicUrl: string): PushPayload {
  return {
    title: outgoingTitle(n),
    body: t(n.language, 'outgoing.open_app'),
    url: notificationLink(publicUrl, n.id),
    tag: n.id,
    type: n.type,
    notification_id: n.id,
  };
}
