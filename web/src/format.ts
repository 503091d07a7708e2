/**
 * Numbers, times and dates in the language in use, all through Intl. Khmer is written with
 * Khmer digits (km-u-nu-khmr) and CLDR's Khmer month names. Debian's Chromium has no Khmer ICU
 * data: intl.ts loads the FormatJS polyfills with their km locale data before the app renders
 * in Khmer (only then, as a separate chunk).
 */

// Captured before any polyfill replaces it: the browser's own formatter knows every time zone
// (the polyfill would need ~130 KB of zone data). Used only to find a wall-clock time.
const NativeDateTimeFormat = Intl.DateTimeFormat;

const LOCALES: Record<string, string> = { km: 'km-u-nu-khmr', en: 'en-GB', fr: 'fr' };
export function intlLocale(lang: string): string {
  return LOCALES[lang] ?? lang;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function numberFormat(lang: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (f === undefined) numberFormats.set(key, (f = new Intl.NumberFormat(intlLocale(lang), options)));
  return f;
}
function dateFormat(lang: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let f = dateFormats.get(key);
  if (f === undefined)
    dateFormats.set(key, (f = new Intl.DateTimeFormat(intlLocale(lang), { ...options, timeZone: 'UTC' })));
  return f;
}

/** A number in the language's digits (no grouping: a count, a day); digits inside a text are replaced one by one. */
export function digits(text: string | number, lang: string): string {
  const f = numberFormat(lang, { useGrouping: false, maximumFractionDigits: 2 });
  if (typeof text === 'number') return f.format(text);
  return text.replace(/[0-9]/g, (d) => f.format(Number(d)));
}

/** "08:00" as written in the language (a wall-clock time, no time zone). */
export function time(hhmm: string, lang: string): string {
  const [h, m] = hhmm.split(':').map(Number);
  if (h === undefined || m === undefined || Number.isNaN(h) || Number.isNaN(m)) return digits(hhmm, lang);
  return dateFormat(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.UTC(2000, 0, 1, h, m));
}

/** The wall-clock time of an instant in a time zone. */
export function clock(iso: string, timeZone: string, lang: string): string {
  const hhmm = new NativeDateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(new Date(iso));
  return time(hhmm, lang);
}

/** The device's calendar day of an instant, YYYY-MM-DD. */
export function localDay(at: Date): string {
  return `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
}

/**
 * A calendar date (YYYY-MM-DD) in words: "4 ធ្នូ ២០២៦", "4 Dec 2026", "4 déc. 2026". An instant
 * (…T…Z) is shown on the device's calendar day. (The third argument, the old catalogue lookup,
 * is no longer needed.)
 */
export function date(ymd: string, lang: string, _t?: unknown): string {
  if (ymd.length > 10 && ymd.includes('T')) {
    const at = new Date(ymd);
    if (!Number.isNaN(at.getTime())) ymd = localDay(at);
  }
  const [y, m, d] = ymd.slice(0, 10).split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined || Number.isNaN(y + m + d)) return ymd;
  return dateFormat(lang, { day: 'numeric', month: 'short', year: 'numeric' }).format(Date.UTC(y, m - 1, d));
}

/** A short day label: "Fri 4", "សុក្រ ៤". */
export function weekday(ymd: string, lang: string): string {
  const [y, m, d] = ymd.slice(0, 10).split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) return ymd;
  return dateFormat(lang, { weekday: 'short', day: 'numeric' }).format(Date.UTC(y, m - 1, d));
}

export function percent(rate: number | null | undefined, lang: string): string {
  return rate === null || rate === undefined
    ? '—'
    : numberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(rate / 100);
}
