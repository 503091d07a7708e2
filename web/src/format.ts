/**
 * Numbers, times and dates in the language in use. Khmer gets Khmer digits (០-៩) and Khmer
 * month names from the catalogue: Debian's Chromium has no Khmer ICU data, so Intl is not used
 * for km.
 */
import type { TFunction } from 'i18next';

const KHMER_DIGITS = '០១២៣៤៥៦៧៨៩';

export function digits(text: string | number, lang: string): string {
  const s = String(text);
  return lang === 'km' ? s.replace(/[0-9]/g, (d) => KHMER_DIGITS[Number(d)] ?? d) : s;
}

/** "08:00" as written in the language. */
export function time(hhmm: string, lang: string): string {
  return digits(hhmm.slice(0, 5), lang);
}

/** The wall-clock time of an instant in a time zone, "HH:MM". */
export function clock(iso: string, timeZone: string, lang: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(new Date(iso));
  return digits(parts, lang);
}

/** A calendar date (YYYY-MM-DD) as words: "4 ធ្នូ 2026" → with Khmer digits; "4 Dec 2026"; "4 déc. 2026". */
export function date(ymd: string, lang: string, t: TFunction): string {
  // An instant (…T…Z) is shown on the device's calendar day, not UTC's.
  if (ymd.length > 10 && ymd.includes('T')) {
    const at = new Date(ymd);
    if (!Number.isNaN(at.getTime())) ymd = `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
  }
  const [y, m, d] = ymd.slice(0, 10).split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) return ymd;
  return digits(`${d} ${t(`month.${m}`)} ${y}`, lang);
}

export function percent(rate: number | null | undefined, lang: string): string {
  return rate === null || rate === undefined ? '—' : digits(`${Math.round(rate)}%`, lang);
}
