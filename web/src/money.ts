/**
 * Money as the API sends it: integer minor units (US cents, riel), never a float. "$0.50",
 * "2,000 ៛" — with Khmer digits when Khmer is chosen.
 */
import { digits } from './format.ts';

function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function money(minor: number, currency: string, lang: string): string {
  if (currency === 'USD') {
    const cents = Math.abs(minor) % 100;
    return digits(
      `${minor < 0 ? '-' : ''}$${grouped(Math.floor(Math.abs(minor) / 100))}.${String(cents).padStart(2, '0')}`,
      lang,
    );
  }
  if (currency === 'KHR') return digits(`${grouped(minor)} ៛`, lang);
  return digits(`${grouped(minor)} ${currency}`, lang);
}
