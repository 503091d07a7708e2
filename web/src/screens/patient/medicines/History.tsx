/**
 * One medicine's doses over the last 7 or 30 days (the period named with its dates): a bar per
 * day (share taken), the calendar of taken and missed, the counts. From GET /dose-logs.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../../api/client.ts';
import { Bars } from '../../../components/Bars.tsx';
import { PeriodSwitch } from '../../../components/PeriodSwitch.tsx';
import { DoseCalendar, type DayCounts } from '../../../components/DoseCalendar.tsx';
import { date, digits, localDay, percent, weekday } from '../../../format.ts';
import { countsText } from '../../../components/counts.ts';

type Log = GetOk<'/api/v1/dose-logs'>['items'][number];

/** The period's days, oldest first, ending today (the device's calendar). */
export function periodDays(days: number, today = new Date()): string[] {
  return Array.from({ length: days }, (_, i) =>
    localDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1 - i))),
  );
}

async function allLogs(medicationId: string, from: string, to: string): Promise<Log[]> {
  const out: Log[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = must(
      await api.GET('/api/v1/dose-logs', {
        params: { query: { medication_id: medicationId, from, to, limit: 200, offset } },
      }),
    );
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export function perDay(logs: Log[], days: string[]): (DayCounts & { rate: number | null })[] {
  return days.map((day) => {
    const mine = logs.filter((l) => l.kind === 'scheduled' && localDay(new Date(l.at)) === day);
    const taken = mine.filter((l) => l.status === 'taken').length;
    const missed = mine.filter((l) => l.status === 'missed').length;
    const skipped = mine.filter((l) => l.status === 'skipped').length;
    const due = taken + missed + skipped;
    return { date: day, taken, missed, skipped, rate: due === 0 ? null : (taken / due) * 100 };
  });
}

export function MedicineHistory({ medicationId }: { medicationId: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [days, setDays] = useState<7 | 30>(7);
  const period = periodDays(days);
  const from = period[0] ?? '';
  const to = period[period.length - 1] ?? '';
  const q = useQuery({
    queryKey: ['dose-logs', medicationId, from, to],
    queryFn: () => allLogs(medicationId, from, to),
  });
  const rows = q.data === undefined ? [] : perDay(q.data, period);
  const sum = rows.reduce(
    (a, r) => ({ taken: a.taken + r.taken, missed: a.missed + r.missed, skipped: a.skipped + r.skipped }),
    { taken: 0, missed: 0, skipped: 0 },
  );
  const due = sum.taken + sum.missed + sum.skipped;
  const periodName = t('history.period', { n: digits(days, lang), from: date(from, lang), to: date(to, lang) });
  return (
    <div className="card" data-testid="medicine-history">
      <h2>{t('history.title')}</h2>
      <PeriodSwitch days={days} onChange={setDays} />
      <p data-testid="history-period">
        <strong>{periodName}</strong>
      </p>
      {q.isPending ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <>
          <p data-testid="history-rate">
            {t('history.rate', { rate: percent(due === 0 ? null : (sum.taken / due) * 100, lang) })} ·{' '}
            {countsText(t, sum, lang)}
          </p>
          <Bars
            label={`${t('adherence.perDay')} — ${periodName}`}
            values={rows.map((r) => ({
              key: r.date,
              label: days === 7 ? weekday(r.date, lang) : '',
              value: r.rate,
              title: `${date(r.date, lang)}: ${percent(r.rate, lang)}`,
            }))}
          />
          <DoseCalendar days={rows} label={t('calendar.title', { period: periodName })} />
        </>
      )}
    </div>
  );
}
