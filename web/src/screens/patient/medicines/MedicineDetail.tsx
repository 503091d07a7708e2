/**
 * One medicine: its schedule and instructions, its reminder times (editable), its refill
 * warning, its history (7 / 30 days), an intake of an as-needed medicine, and stop (with a
 * confirmation step).
 */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../../api/client.ts';
import { ErrorText, Field, StatusText } from '../../../components/Field.tsx';
import { useAction } from '../../../hooks/useFormSubmit.ts';
import { date, digits, time } from '../../../format.ts';
import { MedicineHistory } from './History.tsx';
import { medicationsQuery, scheduleText, type Medication } from './shared.ts';

function ReminderTimes({ m }: { m: Medication }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [times, setTimes] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const active = m.reminders.filter((r) => r.is_active);
  if (!m.is_active || active.length === 0) return null;
  const changed = active.filter((r) => times[r.id] !== undefined && times[r.id] !== r.reminder_time.slice(0, 5));
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        void run(async () => {
          for (const r of changed)
            must(
              await api.PATCH('/api/v1/reminders/{id}', {
                params: { path: { id: r.id } },
                body: { reminder_time: times[r.id] ?? r.reminder_time },
              }),
            );
          await client.invalidateQueries({ queryKey: ['medications'] });
          void client.invalidateQueries({ queryKey: ['today'] });
          setTimes({});
          setSaved(true);
        });
      }}
    >
      <h2>{t('medicines.times')}</h2>
      <div className="grid">
        {active.map((r) => (
          <Field
            key={r.id}
            label={t(`slot.${r.slot}`)}
            type="time"
            required
            value={times[r.id] ?? r.reminder_time.slice(0, 5)}
            hint={time(times[r.id] ?? r.reminder_time, i18n.language)}
            onChange={(e) => setTimes({ ...times, [r.id]: e.currentTarget.value })}
          />
        ))}
      </div>
      <ErrorText error={error} />
      <StatusText text={saved ? t('settings.saved') : null} />
      <button disabled={busy || changed.length === 0}>{t('medicines.saveTimes')}</button>
    </form>
  );
}

function Stop({ m }: { m: Medication }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  if (!m.is_active) return null;
  if (!asking)
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        {t('medicines.stop')}
      </button>
    );
  return (
    <form
      className="card note"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          must(
            await api.POST('/api/v1/medications/{id}/stop', {
              params: { path: { id: m.id } },
              body: reason.trim() === '' ? {} : { reason: reason.trim() },
            }),
          );
          await client.invalidateQueries({ queryKey: ['medications'] });
          void client.invalidateQueries({ queryKey: ['today'] });
          void client.invalidateQueries({ queryKey: ['adherence'] });
          setAsking(false);
        });
      }}
    >
      <p>{t('medicines.stopAsk', { name: m.name })}</p>
      <Field
        label={t('medicines.stopReason')}
        value={reason}
        maxLength={500}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
      <ErrorText error={error} />
      <button className="danger" disabled={busy}>
        {t('medicines.stopConfirm')}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t('medicines.cancel')}
      </button>
    </form>
  );
}

function Refill({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['adherence', 7, 'me'],
    queryFn: async () => must(await api.GET('/api/v1/adherence', { params: { query: { days: 7 } } })),
  });
  const alert = q.data?.refill_alerts.find((a) => a.medication_id === id);
  if (alert === undefined) return null;
  return (
    <p className="note" role="note">
      {t('adherence.refillLine', { name: alert.name, days: digits(Math.floor(alert.days_left), i18n.language) })}
    </p>
  );
}

function TookOne({ m }: { m: Medication }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  if (!m.is_active || m.schedule_kind !== 'as_needed') return null;
  return (
    <div>
      <button
        type="button"
        className="primary"
        disabled={busy}
        onClick={() =>
          void run(async () => {
            must(await api.POST('/api/v1/medications/{id}/doses', { params: { path: { id: m.id } }, body: {} }));
            setDone(true);
            void client.invalidateQueries({ queryKey: ['adherence'] });
          })
        }
      >
        {t('medicines.tookOne')}
      </button>
      {done ? (
        <p role="status" className="ok">
          {t('medicines.tookOneDone')}
        </p>
      ) : null}
      <ErrorText error={error} />
    </div>
  );
}

export function MedicineDetail() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const q = useQuery(medicationsQuery);
  const m = q.data?.items.find((x) => x.id === id);
  if (q.error !== null) return <ErrorText error={q.error} />;
  if (q.isPending) return <p className="muted">{t('common.loading')}</p>;
  if (m === undefined) return <p className="card">{t('app.notFound')}</p>;
  return (
    <section>
      <p>
        <Link to="/medicines">{t('medicines.back')}</Link>
      </p>
      <h1>
        {m.name} {m.strength !== null ? <span className="muted">{m.strength}</span> : null}
      </h1>
      <div className="card">
        <p data-testid="medicine-schedule">{scheduleText(m, t, lang)}</p>
        {m.take_after_meal ? <p>{t('today.afterMeal')}</p> : m.take_before_meal ? <p>{t('today.beforeMeal')}</p> : null}
        {m.instructions !== null ? <p>{m.instructions}</p> : null}
        <p className="muted">
          {m.prescription_id !== null ? (
            <Link to={`/prescriptions/${m.prescription_id}`}>{t('medicines.fromPrescription')}</Link>
          ) : (
            t('medicines.byHand')
          )}
          {m.duration_days !== null ? ` · ${t('medicines.duration', { n: digits(m.duration_days, lang) })}` : ''}
          {` · ${t('medicines.since', { date: date(m.created_at, lang) })}`}
        </p>
        {m.stopped_at !== null ? (
          <p className="warning" role="status">
            {t('medicines.stoppedOn', { date: date(m.stopped_at, lang) })}
          </p>
        ) : null}
        <Refill id={m.id} />
        <TookOne m={m} />
        <Stop m={m} />
      </div>
      <ReminderTimes m={m} />
      {m.schedule_kind !== 'as_needed' ? <MedicineHistory medicationId={m.id} /> : null}
    </section>
  );
}
