/**
 * Money as integers in minor units, end to end: US cents for USD, riel for KHR (the riel's
 * sen is not in use, so KHR has no decimals here). A decimal appears only as text at the edge of
 * a third party (a KHQR amount, a Bakong answer) and is converted by string, never by
 * multiplying a float.
 */
export type Currency = 'USD' | 'KHR';
export const CURRENCIES: readonly Currency[] = ['USD', 'KHR'];

/** Decimals of each currency's major unit. */
export const EXPONENT: Record<Currency, number> = { USD: 2, KHR: 0 };

export function isCurrency(value: string): value is Currency {
  return (CURRENCIES as readonly string[]).includes(value);
}

/** 50 USD-cents → "0.50"; 2000 KHR → "2000". */
export function minorToDecimal(minor: number, currency: Currency): string {
  if (!Number.isSafeInteger(minor) || minor < 0)
    throw new RangeError('an amount is a non-negative integer of minor units');
  const e = EXPONENT[currency];
  if (e === 0) return String(minor);
  const s = String(minor).padStart(e + 1, '0');
  return `${s.slice(0, -e)}.${s.slice(-e)}`;
}

/**
 * "0.5", "0.50", 0.5 → 50 (USD). Refuses more decimals than the currency has, exponents,
 * signs and anything else: a third party's amount that cannot be read exactly is not guessed.
 */
export function decimalToMinor(value: string | number, currency: Currency): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const e = EXPONENT[currency];
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > e) return null;
  const minor = Number(m[1]) * 10 ** e + Number(frac.padEnd(e, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

/** For people: "$0.50", "2,000 ៛". */
export function formatMoney(minor: number, currency: Currency): string {
  const [whole, frac] = minorToDecimal(minor, currency).split('.');
  const grouped = (whole ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return currency === 'USD' ? `$${grouped}.${frac ?? '00'}` : `${grouped} ៛`;
}
