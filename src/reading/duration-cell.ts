/**
 * A table's duration cell ("7 days", "7 ថ្ងៃ", "7 jours", "7"): the number of days.
 * The page OCR often glues a garbled day word to the number ("5 ថ្ងៃ" read as "51g"): a cell
 * that does not read as a number and a day word is read again alone; if it still does not,
 * the number that the quantity and the daily doses give is taken when the digits start with it.
 */
import { normaliseText } from './text.ts';

export interface DurationCell {
  days: number | null;
  /** The cell read as exactly a number and (optionally) a day word. */
  clean: boolean;
  /** The digits of an unclean reading ("51" of "51g"). */
  digits: string | null;
}

const DAY_WORD = /^(?:days?|d|jours?|j|ថ្ងៃ|[\u1780-\u17ff]{1,6})\.?$/i;

export function parseDurationCell(raw: string): DurationCell {
  const t = normaliseText(raw)
    .replace(/[|[\]()]/g, ' ')
    .trim();
  const m = /^(\d{1,3})\s*(\S*)$/.exec(t);
  if (m !== null) {
    const days = Number(m[1]);
    const word = m[2] ?? '';
    if (days >= 1 && days <= 365 && (word === '' || DAY_WORD.test(word)))
      return { days, clean: true, digits: m[1] ?? null };
  }
  const d = /(\d{1,3})/.exec(t);
  return { days: d !== null ? Number(d[1]) : null, clean: false, digits: d?.[1] ?? null };
}

/**
 * The days of a duration cell: the page's reading when clean, else the cell read alone
 * (`again`, called only then), else the quantity's days when the digits begin with them.
 */
export async function readDurationCell(
  pageText: string,
  again: () => Promise<string | null>,
  quantity: number | null,
  dailyUnits: number,
): Promise<number | null> {
  const first = parseDurationCell(pageText);
  if (first.clean) return first.days;
  if (pageText.trim() === '') return null;
  const alone = await again();
  if (alone !== null) {
    const second = parseDurationCell(alone);
    if (second.clean) return second.days;
  }
  if (quantity !== null && dailyUnits > 0) {
    const fromQty = quantity / dailyUnits;
    if (Number.isInteger(fromQty) && first.digits !== null && first.digits.startsWith(String(fromQty))) return fromQty;
  }
  return first.days;
}
