/**
 * What leaves the server on the push and e-mail channels: a short text in the user's language
 * (km, en, fr) and a link to the app. Never the medicine, the dose, a patient's name or a
 * doctor's note — those stay in the in-app notification, behind sign-in. The texts are ours,
 * chosen by the notification's type, not copied from its stored title or body.
 */
export type Language = 'km' | 'en' | 'fr';

type Texts = Record<Language, string>;

const SLOT_NAMES: Record<string, Texts> = {
  morning: { km: 'ព្រឹក', en: 'morning', fr: 'matin' },
  noon: { km: 'ថ្ងៃត្រង់', en: 'noon', fr: 'midi' },
  evening: { km: 'ល្ងាច', en: 'evening', fr: 'soir' },
  night: { km: 'យប់', en: 'night', fr: 'nuit' },
};

const TITLES: Record<string, Texts> = {
  missed_dose: { km: 'អ្នកជំងឺម្នាក់បានខកខានលេបថ្នាំ', en: 'A patient has missed doses', fr: 'Un patient a manqué des prises' },
  prescription: { km: 'វេជ្ជបញ្ជារបស់អ្នករួចរាល់សម្រាប់ពិនិត្យ', en: 'Your prescription is ready to review', fr: 'Votre ordonnance est prête à vérifier' },
  refill: { km: 'ដល់ពេលទិញថ្នាំបន្ថែម', en: 'Time to refill your medicine', fr: 'Pensez à renouveler vos médicaments' },
  invitation: { km: 'អ្នកមានការអញ្ជើញថ្មី', en: 'You have a new invitation', fr: 'Vous avez une nouvelle invitation' },
  message: { km: 'អ្នកមានសារថ្មី', en: 'You have a new message', fr: 'Vous avez un nouveau message' },
};

const GENERIC: Texts = { km: 'អ្នកមានការជូនដំណឹងថ្មី', en: 'You have a new notification', fr: 'Vous avez une nouvelle notification' };
const OPEN_APP: Texts = {
  km: 'សូមបើក DasTern ដើម្បីមើលព័ត៌មានលម្អិត។',
  en: 'Open DasTern to see the details.',
  fr: 'Ouvrez DasTern pour voir les détails.',
};
const WHY: Texts = {
  km: 'អ្នកទទួលបានអ៊ីមែលនេះ ព្រោះអ្នកបានបើកការរំលឹកតាមអ៊ីមែលនៅក្នុង DasTern។ អ្នកអាចបិទវាបាននៅក្នុងការកំណត់។',
  en: 'You receive this e-mail because e-mail notifications are switched on in DasTern. You can switch them off in your settings.',
  fr: 'Vous recevez cet e-mail car les notifications par e-mail sont activées dans DasTern. Vous pouvez les désactiver dans vos réglages.',
};

export function languageOf(raw: string | null | undefined): Language {
  return raw === 'en' || raw === 'fr' ? raw : 'km';
}

function reminderTitle(lang: Language, slot: unknown): string {
  const name = typeof slot === 'string' ? SLOT_NAMES[slot]?.[lang] : undefined;
  if (lang === 'en') return name ? `Time for your ${name} medicine` : 'Time for your medicine';
  if (lang === 'fr') return name ? `C'est l'heure de vos médicaments (${name})` : "C'est l'heure de vos médicaments";
  return name ? `ដល់ម៉ោងលេបថ្នាំ (${name})` : 'ដល់ម៉ោងលេបថ្នាំ';
}

export interface OutgoingNotification {
  id: string;
  type: string;
  /** Only `slot` is read (a dose-time word, not medical detail). */
  data: Record<string, unknown>;
  language: Language;
}

export function outgoingTitle(n: OutgoingNotification): string {
  if (n.type === 'reminder') return reminderTitle(n.language, n.data.slot);
  return (TITLES[n.type] ?? GENERIC)[n.language];
}

export function notificationLink(publicUrl: string, id: string): string {
  return `${publicUrl}/notifications/${encodeURIComponent(id)}`;
}

export function emailFor(n: OutgoingNotification, to: string, publicUrl: string): { to: string; subject: string; text: string } {
  const title = outgoingTitle(n);
  return {
    to,
    subject: `DasTern: ${title}`,
    text: [title, '', OPEN_APP[n.language], notificationLink(publicUrl, n.id), '', '--', WHY[n.language], `${publicUrl}/settings`].join('\n'),
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
    body: OPEN_APP[n.language],
    url: notificationLink(publicUrl, n.id),
    tag: n.id,
    type: n.type,
    notification_id: n.id,
  };
}
