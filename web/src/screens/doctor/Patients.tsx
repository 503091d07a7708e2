/** A doctor's patients: adherence at a glance, an invitation code to give a patient. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { date, digits, percent } from '../../format.ts';
import { AdherenceReport } from '../patient/Adherence.tsx';
import { NoteForm, NotesList } from '../../components/Notes.tsx';

export default function Patients() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const q = useQuery({ queryKey: ['patients'], queryFn: async () => must(await api.GET('/api/v1/care/patients')) });
  const [invite, setInvite] = useState<{ code: string; expires_at: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
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
    <section>
      <h1>{t('patients.title')}</h1>
      <div className="card">
        <button type="button" className="primary" onClick={() => void newCode()}>{t('patients.invite')}</button>
        {invite !== null ? <p role="status">{t('patients.code')} <code className="code">{invite.code}</code> · {t('patients.expires', { date: date(invite.expires_at, lang, t) })}</p> : null}
        <ErrorText error={error} />
      </div>
      <table className="table">
        <thead><tr><th scope="col">{t('patients.name')}</th><th scope="col">{t('adherence.rate')}</th><th scope="col">{t('doseStatus.missed')}</th></tr></thead>
        <tbody>
          {(q.data?.items ?? []).map((p) => (
            <tr key={p.relationship_id} className={(p.adherence?.missed ?? 0) > 0 ? 'alert' : ''}>
              <td><button type="button" className="plain link" aria-expanded={open === p.patient_id} onClick={() => setOpen(open === p.patient_id ? null : p.patient_id)}>{p.first_name} {p.last_name}</button></td>
              <td>{percent(p.adherence?.rate, lang)}</td>
              <td>{digits(p.adherence?.missed ?? 0, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {q.isSuccess && q.data.items.length === 0 ? <p className="muted">{t('patients.none')}</p> : null}
      {open !== null ? (
        <div className="card">
          <AdherenceReport patientId={open} />
          <NoteForm patientId={open} />
          <NotesList patientId={open} />
        </div>
      ) : null}
    </section>
  );
}
