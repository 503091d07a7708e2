/**
 * One patient, for her doctor (/patients/:id): alerts first (missed doses, refills), adherence
 * (7 or 30 days, named), prescriptions and medicines, reminders (times editable when she allows
 * it), clinical notes (private or shared) and an AI-drafted visit summary marked as a draft.
 * What she does not share reads as such, never as an error.
 */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiProblem, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { NoteForm, NotesList } from '../../components/Notes.tsx';
import { AdherenceReport } from '../patient/Adherence.tsx';
import { date, digits, time } from '../../format.ts';
import { patientName, usePatients, type CarePatient } from './Patients.tsx';
import { VisitSummary } from './VisitSummary.tsx';

function Alerts({ p }: { p: CarePatient }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  // the same query (and cache) as the adherence chart's 7 days
  const week = useQuery({
    queryKey: ['adherence', 7, p.patient_id],
    queryFn: async () =>
      must(await api.GET('/api/v1/adherence', { params: { query: { days: 7, patient_id: p.patient_id } } })),
    enabled: p.can_view_prescriptions,
  });
  const missed = p.last_7_days?.missed ?? 0;
  const refills = week.data?.refill_alerts ?? [];
  return (
    <div className="card" data-testid="patient-alerts">
      <h2>{t('patient.alerts')}</h2>
      {missed === 0 && refills.length === 0 ? (
        <p className="muted">{t('patient.noAlert')}</p>
      ) : (
        <ul className="list">
          {missed > 0 ? <li className="error">{t('patient.missed7', { n: digits(missed, lang) })}</li> : null}
          {refills.map((r) => (
            <li key={r.medication_id} className="warning">
              {t('adherence.refillLine', { name: r.name, days: digits(Math.floor(r.days_left), lang) })}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Prescriptions({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['care-prescriptions', id],
    queryFn: async () =>
      must(
        await api.GET('/api/v1/care/patients/{id}/prescriptions', { params: { path: { id }, query: { limit: 50 } } }),
      ),
  });
  if (q.error !== null) return <ErrorText error={q.error} />;
  const items = q.data?.items ?? [];
  return (
    <div>
      <h2>{t('patient.prescriptions')}</h2>
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('patient.noPrescription')}</p> : null}
      <ul className="list">
        {items.map((rx) => (
          <li key={rx.id}>
            <strong>{rx.hospital_name ?? t('prescriptions.untitled')}</strong> ·{' '}
            {date(rx.prescription_date ?? rx.created_at, i18n.language, t)} · {t(`prescriptionStatus.${rx.status}`)}
            {rx.prescribing_doctor_name !== null ? <div className="muted">{rx.prescribing_doctor_name}</div> : null}
            <ul className="meds">
              {rx.medications.map((m) => (
                <li key={m.id} className={m.is_active ? '' : 'muted'}>
                  <strong>{m.name}</strong> {m.strength ?? ''} —{' '}
                  {(['morning', 'noon', 'evening', 'night'] as const)
                    .map((s) => digits(m.dosage_schedule[s], i18n.language))
                    .join('-')}
                  {m.duration_days !== null
                    ? ` · ${t('adherence.days', { n: digits(m.duration_days, i18n.language) })}`
                    : ''}
                  {m.is_active ? '' : ` · ${t('patient.stopped')}`}
                  {m.instructions !== null ? <div className="muted">{m.instructions}</div> : null}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Reminders({ id, canEdit }: { id: string; canEdit: boolean }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ['care-reminders', id],
    queryFn: async () => must(await api.GET('/api/v1/reminders', { params: { query: { patient_id: id } } })),
  });
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const items = (q.data?.items ?? []).filter((r) => r.is_active);

  async function save(reminderId: string) {
    const value = edits[reminderId];
    if (value === undefined) return;
    setError(null);
    try {
      must(
        await api.PATCH('/api/v1/reminders/{id}', {
          params: { path: { id: reminderId } },
          body: { reminder_time: value },
        }),
      );
      setSaved(reminderId);
      await client.invalidateQueries({ queryKey: ['care-reminders', id] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div>
      <h2>{t('patient.reminders')}</h2>
      {!canEdit ? <p className="muted">{t('patient.remindersReadOnly')}</p> : null}
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('patient.noReminder')}</p> : null}
      <ul className="list">
        {items.map((r) => (
          <li key={r.id} className="reminder">
            <span>
              <strong>{r.name}</strong> · {t(`slot.${r.slot}`)}
            </span>
            {canEdit ? (
              <span className="inline-edit">
                <label className="visually-hidden" htmlFor={`rt-${r.id}`}>
                  {t('patient.timeOf', { name: r.name, slot: t(`slot.${r.slot}`) })}
                </label>
                <input
                  id={`rt-${r.id}`}
                  type="time"
                  value={edits[r.id] ?? r.reminder_time}
                  onChange={(e) => setEdits({ ...edits, [r.id]: e.currentTarget.value })}
                />
                <button
                  type="button"
                  disabled={edits[r.id] === undefined || edits[r.id] === r.reminder_time}
                  onClick={() => void save(r.id)}
                >
                  {t('common.save')}
                </button>
                {saved === r.id ? (
                  <span className="ok" role="status">
                    {t('settings.saved')}
                  </span>
                ) : null}
              </span>
            ) : (
              <span>{time(r.reminder_time, i18n.language)}</span>
            )}
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
    </div>
  );
}

export default function PatientPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const q = usePatients();
  const p = q.data?.items.find((x) => x.patient_id === id);
  if (q.error !== null) return <ErrorText error={q.error} />;
  if (q.data === undefined) return <p className="muted">{t('common.loading')}</p>;
  if (p === undefined) return <ErrorText error={new ApiProblem(404, 'not_found', t('patient.notFound'))} />;
  const perms = (['can_view_prescriptions', 'can_add_notes', 'can_modify_reminders'] as const).filter((k) => p[k]);
  return (
    <section>
      <p>
        <Link to="/patients">{t('patient.back')}</Link>
      </p>
      <h1>{patientName(p)}</h1>
      <p className="muted">
        {perms.length === 0 ? t('patient.nothingShared') : perms.map((k) => t(`patient.may.${k}`)).join(' · ')}
      </p>
      <div className="doctor-grid">
        <div>
          <Alerts p={p} />
          {p.can_view_prescriptions ? (
            <>
              <div className="card">
                <h2>{t('adherence.title')}</h2>
                <AdherenceReport patientId={id} />
              </div>
              <div className="card">
                <Prescriptions id={id} />
              </div>
              <div className="card">
                <Reminders id={id} canEdit={p.can_modify_reminders} />
              </div>
            </>
          ) : (
            <p className="card muted">{t('patient.notShared')}</p>
          )}
        </div>
        <div>
          <div className="card">
            {p.can_add_notes ? <NoteForm patientId={id} /> : <p className="muted">{t('patient.noNotes')}</p>}
            <NotesList patientId={id} />
          </div>
          {p.can_view_prescriptions ? <VisitSummary patientId={id} canSave={p.can_add_notes} /> : null}
        </div>
      </div>
    </section>
  );
}
