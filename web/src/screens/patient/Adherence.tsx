/** History and adherence: 7 or 30 days, overall, per day (chart), per medicine, refill warnings. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { Bars } from '../../components/Bars.tsx';
import { Link } from 'react-router';
import { PeriodSwitch } from '../../components/PeriodSwitch.tsx';
import { DoseCalendar } from '../../components/DoseCalendar.tsx';
import { date, digits, percent } from '../../format.ts';
import { countsText } from '../../components/counts.ts';

export function AdherenceReport({ patientId }: { patientId?: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [days, setDays] = useState<7 | 30>(7);
  const q = useQuery({
    queryKey: ['adherence', days, patientId ?? 'me'],
    queryFn: async () =>
      must(
        await api.GET('/api/v1/adherence', {
          params: { query: { days, ...(patientId !== undefined ? { patient_id: patientId } : {}) } },
        }),
      ),
  });
  const r = q.data;
  return (
    <div>
      <PeriodSwitch days={days} onChange={setDays} />
      {r === undefined ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <>
          <p data-testid="adherence-period">
            <strong>
              {t('history.period', { n: digits(days, lang), from: date(r.from, lang), to: date(r.to, lang) })}
            </strong>
          </p>
          <div className="card stats" data-testid="adherence-overall">
            <div>
              <span className="big-number">{percent(r.overall.rate, lang)}</span>
              <span>{t('adherence.rate')}</span>
            </div>
            <div>
              <span className="big-number">{digits(r.overall.taken, lang)}</span>
              <span>{t('doseStatus.taken')}</span>
            </div>
            <div>
              <span className="big-number">{digits(r.overall.missed, lang)}</span>
              <span>{t('doseStatus.missed')}</span>
            </div>
            <div>
              <span className="big-number">{digits(r.overall.skipped, lang)}</span>
              <span>{t('doseStatus.skipped')}</span>
            </div>
          </div>
          <Bars
            label={t('adherence.perDay')}
            values={r.per_day.map((d) => ({
              key: d.date,
              label: days === 7 ? digits(d.date.slice(8, 10), lang) : '',
              value: d.rate,
              title: `${digits(d.date, lang)}: ${percent(d.rate, lang)}`,
            }))}
          />
          <DoseCalendar
            days={r.per_day}
            label={t('calendar.title', {
              period: t('history.period', { n: digits(days, lang), from: date(r.from, lang), to: date(r.to, lang) }),
            })}
          />
          <h2>{t('adherence.perMedicine')}</h2>
          <ul className="list">
            {r.per_medication.map((m) => (
              <li key={m.medication_id}>
                {patientId === undefined ? (
                  <Link to={`/medicines/${m.medication_id}`}>
                    <strong>{m.name}</strong>
                  </Link>
                ) : (
                  <strong>{m.name}</strong>
                )}{' '}
                {m.strength ?? ''} — {percent(m.rate, lang)}
                <div className="muted">{countsText(t, m, lang)}</div>
              </li>
            ))}
            {r.per_medication.length === 0 ? <li className="muted">{t('adherence.none')}</li> : null}
          </ul>
          {r.refill_alerts.length > 0 ? (
            <div className="card note" role="note">
              <h2>{t('adherence.refill')}</h2>
              <ul>
                {r.refill_alerts.map((a) => (
                  <li key={a.medication_id}>
                    {t('adherence.refillLine', { name: a.name, days: digits(Math.floor(a.days_left), lang) })}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}

export function Adherence() {
  const { t } = useTranslation();
  return (
    <section>
      <h1>{t('adherence.title')}</h1>
      <AdherenceReport />
    </section>
  );
}
