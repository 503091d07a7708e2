/**
 * FormatJS polyfills (this module is itself loaded on demand, by intl-ready.ts), loaded only when the browser cannot format the language in use (Debian's
 * Chromium has no Khmer ICU data): Intl.getCanonicalLocales, Intl.Locale, Intl.PluralRules,
 * Intl.NumberFormat and Intl.DateTimeFormat with the km locale data. Each comes as its own
 * chunk, outside the shell. Once a polyfill replaced the browser's formatter, every language
 * shown through it needs its data too: ensureIntl(lang) loads it before the language is used.
 */
import { shouldPolyfill as needCanonical } from '@formatjs/intl-getcanonicallocales/should-polyfill.js';
import { shouldPolyfill as needLocale } from '@formatjs/intl-locale/should-polyfill.js';
import { shouldPolyfill as needPlural } from '@formatjs/intl-pluralrules/should-polyfill.js';
import { shouldPolyfill as needNumber } from '@formatjs/intl-numberformat/should-polyfill.js';
import { shouldPolyfill as needDate } from '@formatjs/intl-datetimeformat/should-polyfill.js';

type Loader = Record<string, () => Promise<unknown>>;
const pluralData: Loader = {
  km: () => import('@formatjs/intl-pluralrules/locale-data/km.js'),
  en: () => import('@formatjs/intl-pluralrules/locale-data/en.js'),
  fr: () => import('@formatjs/intl-pluralrules/locale-data/fr.js'),
};
const numberData: Loader = {
  km: () => import('@formatjs/intl-numberformat/locale-data/km.js'),
  en: () => import('@formatjs/intl-numberformat/locale-data/en.js'),
  fr: () => import('@formatjs/intl-numberformat/locale-data/fr.js'),
};
const dateData: Loader = {
  km: () => import('@formatjs/intl-datetimeformat/locale-data/km.js'),
  en: () => import('@formatjs/intl-datetimeformat/locale-data/en.js'),
  fr: () => import('@formatjs/intl-datetimeformat/locale-data/fr.js'),
};

const polyfilled = { plural: false, number: false, date: false };
const loaded = new Set<string>();

/** Makes Intl able to format `lang` (km, en, fr); resolves at once when the browser can. */
export async function ensureIntl(lang: string): Promise<void> {
  if (loaded.has(lang)) return;
  if (needCanonical()) await import('@formatjs/intl-getcanonicallocales/polyfill.js');
  if (needLocale()) await import('@formatjs/intl-locale/polyfill.js');
  // The polyfills go in order: NumberFormat uses PluralRules, DateTimeFormat uses NumberFormat.
  if (polyfilled.plural || needPlural(lang) !== undefined) {
    if (!polyfilled.plural) await import('@formatjs/intl-pluralrules/polyfill-force.js');
    polyfilled.plural = true;
    await pluralData[lang]?.();
  }
  if (polyfilled.number || needNumber(lang) !== undefined) {
    if (!polyfilled.number) await import('@formatjs/intl-numberformat/polyfill-force.js');
    polyfilled.number = true;
    await numberData[lang]?.();
  }
  if (polyfilled.date || needDate(lang) !== undefined) {
    if (!polyfilled.date) await import('@formatjs/intl-datetimeformat/polyfill-force.js');
    polyfilled.date = true;
    await dateData[lang]?.();
  }
  loaded.add(lang);
}

/** Which formatters are the polyfills' (for the tests). */
export function intlPolyfilled(): typeof polyfilled {
  return { ...polyfilled };
}
