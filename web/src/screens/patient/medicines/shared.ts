/** What the medicine screens share: the list query and how a schedule reads. */
import type { TFunction } from 'i18next';
import { api, must, type GetOk } from '../../../api/client.ts';
import { digits, time } from '../../../format.ts';
import { SLOTS } from '../../../slots.ts';

export type Medication = GetOk<'/api/v1/medications'>['items'][number];

export const medicationsQuery = {
  queryKey: ['medications'],
  queryFn: async () => must(await api.GET('/api/v1/medications')),
};

/** An amount with halves and quarters as fractions: 1½, ½. */
export function amount(n: number, lang: string): string {
  const whole = Math.floor(n);
  const frac = n - whole;
  const f = frac === 0.5 ? '½' : frac === 0.25 ? '¼' : frac === 0.75 ? '¾' : '';
  return whole === 0 && f !== '' ? f : `${digits(whole, lang)}${f}`;
}

/** "Morning 1 · Evening 1", "Every 8 hours from 06:00", "When needed". */
export function scheduleText(m: Medication, t: TFunction, lang: string): string {
  if (m.schedule_kind === 'as_needed') return t('medicines.asNeeded');
  if (m.schedule_kind === 'interval') {
    return t('medicines.everyHours', {
      hours: digits(m.interval_hours ?? 0, lang),
      time: time(m.first_dose_time ?? '', lang),
    });
  }
  return SLOTS.filter((s) => m.dosage_schedule[s] > 0)
    .map((s) => `${t(`slot.${s}`)} ${amount(m.dosage_schedule[s], lang)}`)
    .join(' · ');
}
