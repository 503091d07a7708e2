/** A period's dose counts as one sentence ("n taken, n missed, n skipped") in the language in use. */
import type { TFunction } from 'i18next';
import { digits } from '../format.ts';

export interface DoseCounts {
  taken: number;
  missed: number;
  skipped: number;
}

export function countsText(t: TFunction, c: DoseCounts, lang: string): string {
  return t('adherence.counts', {
    taken: digits(c.taken, lang),
    missed: digits(c.missed, lang),
    skipped: digits(c.skipped, lang),
  });
}
