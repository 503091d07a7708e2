/**
 * The message catalogue: every text a user reads — problem details and titles, in-app
 * notifications, e-mails, Web Push — in Khmer, English and French (src/i18n/locales/*.ts),
 * rendered by i18next with plain {{placeholder}} interpolation (no ICU, no HTML escaping: the
 * texts go into JSON and text/plain mail, never into HTML).
 *
 * Which language:
 *  - notifications (in-app list and live stream, e-mail, push) and account e-mails: the
 *    recipient's stored `users.language` (km when unset) — the same notification reads the same
 *    on every channel, whatever device or browser shows it;
 *  - a problem+json answer: the request's Accept-Language when it names km, en or fr (highest
 *    q first), else the signed-in user's stored language, else English (a request with neither
 *    comes from a program: every browser sends Accept-Language). See src/http/errors.ts.
 */
import i18next from 'i18next';
import type { Catalogue, MessageKey } from './catalogue.ts';
import { en } from './locales/en.ts';
import { fr } from './locales/fr.ts';
import { km } from './locales/km.ts';

export type { Catalogue, MessageKey, NotificationKey, ProblemCode } from './catalogue.ts';

export const LANGUAGES = ['km', 'en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
/** An account's language when none is stored (the users table's default too). */
export const DEFAULT_LANGUAGE: Language = 'km';

export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { km, en, fr };

/** Values for {{placeholders}}. */
export type MessageParams = Readonly<Record<string, string | number>>;

const i18n = i18next.createInstance();
void i18n.init({
  resources: { km: { translation: km }, en: { translation: en }, fr: { translation: fr } },
  lng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  fallbackLng: false,
  initAsync: false, // resources are in memory: init is synchronous
  nsSeparator: false,
  returnNull: false,
  returnEmptyString: false,
  // values are inserted as they are (no HTML escaping) and never interpreted themselves
  interpolation: { escapeValue: false, skipOnVariables: true },
});

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** A stored language preference → a language we have (km when unset or unknown). */
export function languageOf(raw: string | null | undefined): Language {
  return isLanguage(raw) ? raw : DEFAULT_LANGUAGE;
}

/**
 * i18next's text of each key asked for without parameters, by language: the resources never
 * change at run time, so the same call gives the same text (the assistant asks for one per
 * medicine and time of day: ~10 µs each through i18next, a map read here). Only texts of the
 * catalogue are kept (test/i18n/catalogue.test.ts compares every one with i18next's).
 */
const plainTexts = new Map<string, string>();

/** The text of `key` in `lang`. */
export function t(lang: Language, key: MessageKey, params?: MessageParams): string {
  const known = params === undefined ? lookup(lang, key) : undefined;
  return known ?? (i18n.t(key, { lng: lang, replace: params ?? {} }) as string);
}

/** The text of a key built at run time (e.g. `problem.${code}`); undefined when the catalogue has none. */
export function lookup(lang: Language, key: string, params?: MessageParams): string | undefined {
  const id = `${lang} ${key}`;
  if (params === undefined) {
    const known = plainTexts.get(id);
    if (known !== undefined) return known;
  }
  if (!i18n.exists(key, { lng: lang })) return undefined;
  // returnObjects: a branch (e.g. 'purpose') comes back as an object, not as a message about it
  const text: unknown = i18n.t(key, { lng: lang, replace: params ?? {}, returnObjects: true });
  if (typeof text !== 'string') return undefined;
  if (params === undefined) plainTexts.set(id, text);
  return text;
}

/**
 * The best of our languages for an Accept-Language header ("km-KH,km;q=0.9,en;q=0.8"), by q
 * then order; undefined when it names none of them (a wildcard names none: it is no choice).
 */
export function negotiateLanguage(header: string | string[] | undefined): Language | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined || value.length > 1000) return undefined;
  let best: { lang: Language; q: number } | undefined;
  for (const part of value.split(',')) {
    const [tag = '', ...attrs] = part.trim().split(';');
    const primary = tag.trim().toLowerCase().split('-')[0];
    if (!isLanguage(primary)) continue;
    let q = 1;
    for (const a of attrs) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(a);
      if (m?.[1] !== undefined) q = Number(m[1]);
    }
    if (q > 0 && (best === undefined || q > best.q)) best = { lang: primary, q };
  }
  return best?.lang;
}
