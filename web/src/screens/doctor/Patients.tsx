/**
 * A doctor's patients: adherence over the last 7 and the last 30 days (each column names its
 * period), missed doses of the last 7 days flagged, an invitation code to give a patient. A
 * patient's own page: PatientPage.tsx.
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { date, digits, percent } from '../../format.ts';

export type CarePatient = GetOk<'/api/v1/care/patients'>['items'][number];

/** My patients (one page of 100), shared by the list and a patient's page. */
export function usePatients() {
  return useQuery({
    queryKey: ['patients'],
    queryFn: async () => must(await api.GET('/api/v1/care/patients', { params: { query: { limit: 100 } } })),
  });
}

export function patientName(p: Pick<CarePatient, 'first_name' | 'last_name'>): string {
  return `${p.first_name ?? ''} ${p.last_name ?? ''}`.trim();
}

/** A new invitation code to give a patient, with when it expires. */
function InviteCode() {
  const { t, i18n } = useTranslation();
  const [invite, setInvite] = useState<{ code: string; expires_at: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function newCode() {
    setError(null);
    try {
      setInvite(must(await api.POST('/api/v1/care/invitations', { body: {} })));
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div className="card">
      <button type="button" className="primary" onClick={() => void newCode()}>
        {t('patients.invite')}
      </button>
      {invite !== null ? (
        <p role="status">
          {t('patients.code')} <code className="code">{invite.code}</code> ·{' '}
          {t('patients.expires', { date: date(invite.expires_at, i18n.language, t) })}
        </p>
      ) : null}
      <ErrorText error={error} />
    </div>
  );
}

/** One patient's row: her name (to her page), her rates over 7 and 30 days, her missed doses of the last 7. */
function PatientRow({ p }: { p: CarePatient }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const missed = p.last_7_days?.missed ?? 0;
  return (
    <tr className={missed > 0 ? 'alert' : ''}>
      <td>
        <Link to={`/patients/${p.patient_id}`}>{patientName(p)}</Link>
      </td>
      {p.last_7_days === null ? (
        <td colSpan={3} className="muted">
          {t('patients.notShared')}
        </td>
      ) : (
        <>
          <td>{percent(p.last_7_days.rate, lang)}</td>
          <td>{percent(p.last_30_days?.rate, lang)}</td>
          <td>
            {missed > 0 ? (
              <span className="pill bad">{t('patients.missedN', { n: digits(missed, lang) })}</span>
            ) : (
              digits(0, lang)
            )}
          </td>
        </>
      )}
    </tr>
  );
}

export default function Patients() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const q = usePatients();
  const items = q.data?.items ?? [];
  const alerts = items.filter((p) => (p.last_7_days?.missed ?? 0) > 0).length;
  return (
    <section>
      <h1>{t('patients.title')}</h1>
      <InviteCode />
      {alerts > 0 ? (
        <p className="note" role="status" data-testid="missed-alerts">
          {t('patients.alerts', { n: digits(alerts, lang) })}
        </p>
      ) : null}
      <div className="scroll-x" tabIndex={0} role="region" aria-label={t('patients.title')}>
        <table className="table patients">
          <caption className="visually-hidden">{t('patients.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('patients.name')}</th>
              <th scope="col">{t('patients.rate7')}</th>
              <th scope="col">{t('patients.rate30')}</th>
              <th scope="col">{t('patients.missed7')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <PatientRow key={p.relationship_id} p={p} />
            ))}
          </tbody>
        </table>
      </div>
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('patients.none')}</p> : null}
    </section>
  );
}
