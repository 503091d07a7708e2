/** History and adherence: 7 or 30 days, overall, per day (chart), per medicine, refill warnings. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { Bars } from '../../components/Bars.tsx';
import { Link } from 'react-router';
import { PeriodSwitch } from '../../components/PeriodSwitch.tsx';
import { DoseCalendar } from '../../components/DoseCalendar.tsx';
import { Loading } from '../../components/Loading.tsx';
import { StatTile } from '../../components/StatTile.tsx';
import { date, digits, percent } from '../../format.ts';
import { countsText } from '../../components/counts.ts';

type Report = GetOk<'/api/v1/adherence'>;

function Overall({ r }: { r: Report }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <div className="card stats" data-testid="adherence-overall">
      <StatTile value={percent(r.overall.rate, lang)} label={t('adherence.rate')} />
      <StatTile value={digits(r.overall.taken, lang)} label={t('doseStatus.taken')} />
      <StatTile value={digits(r.overall.missed, lang)} label={t('doseStatus.missed')} />
      <StatTile value={digits(r.overall.skipped, lang)} label={t('doseStatus.skipped')} />
    </div>
  );
}

/** Each medicine's rate and counts; her own link to the medicine's page (a doctor's view has none). */
function PerMedicine({ r, linked }: { r: Report; linked: boolean }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <>
      <h2>{t('adherence.perMedicine')}</h2>
      <ul className="list">
        {r.per_medication.map((m) => (
          <li key={m.medication_id}>
            {linked ? (
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
    </>
  );
}

function RefillAlerts({ alerts }: { alerts: Report['refill_alerts'] }) {
  const { t, i18n } = useTranslation();
  if (alerts.length === 0) return null;
  return (
    <div className="card note" role="note">
      <h2>{t('adherence.refill')}</h2>
      <ul>
        {alerts.map((a) => (
          <li key={a.medication_id}>
            {t('adherence.refillLine', { name: a.name, days: digits(Math.floor(a.days_left), i18n.language) })}
          </li>
        ))}
      </ul>
    </div>
  );
}

function PeriodReport({ r, days, patientId }: { r: Report; days: 7 | 30; patientId?: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const period = t('history.period', { n: digits(days, lang), from: date(r.from, lang), to: date(r.to, lang) });
  return (
    <>
      <p data-testid="adherence-period">
        <strong>{period}</strong>
      </p>
      <Overall r={r} />
      <Bars
        label={t('adherence.perDay')}
        values={r.per_day.map((d) => ({
          key: d.date,
          label: days === 7 ? digits(d.date.slice(8, 10), lang) : '',
          value: d.rate,
          title: `${digits(d.date, lang)}: ${percent(d.rate, lang)}`,
        }))}
      />
      <DoseCalendar days={r.per_day} label={t('calendar.title', { period })} />
      <PerMedicine r={r} linked={patientId === undefined} />
      <RefillAlerts alerts={r.refill_alerts} />
    </>
  );
}

export function AdherenceReport({ patientId }: { patientId?: string }) {
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
      {r === undefined ? <Loading /> : <PeriodReport r={r} days={days} patientId={patientId} />}
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
