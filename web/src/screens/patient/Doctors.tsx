/** My doctors: accept an invitation code (who invites is shown first), see and end relationships. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText, Field } from '../../components/Field.tsx';
import { NotesList } from '../../components/Notes.tsx';

type Preview = GetOk<'/api/v1/care/invitations/{code}'>;

export function Doctors() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  // What he may do is her choice, made here before accepting (nothing is granted by default).
  const [permissions, setPermissions] = useState({
    can_view_prescriptions: true,
    can_add_notes: true,
    can_modify_reminders: false,
  });
  const rel = useQuery({
    queryKey: ['relationships'],
    queryFn: async () => must(await api.GET('/api/v1/care/relationships')),
  });

  async function look(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setPreview(must(await api.GET('/api/v1/care/invitations/{code}', { params: { path: { code: code.trim() } } })));
    } catch (err) {
      setError(err);
    }
  }
  async function accept() {
    setError(null);
    try {
      must(await api.POST('/api/v1/care/invitations/accept', { body: { code: code.trim(), permissions } }));
      setPreview(null);
      setCode('');
      await client.invalidateQueries({ queryKey: ['relationships'] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section>
      <h1>{t('doctors.title')}</h1>
      <form className="card" onSubmit={look}>
        <Field
          label={t('doctors.code')}
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          required
          minLength={8}
          maxLength={40}
          autoCapitalize="characters"
        />
        <button>{t('doctors.check')}</button>
        {preview !== null ? (
          <div className="note" role="status">
            <p>
              {t('doctors.invitedBy', {
                name: `${preview.inviter.first_name} ${preview.inviter.last_name}`,
                hospital: preview.inviter.hospital_name ?? '',
              })}
            </p>
            {preview.inviter.verification === 'not verified' ? (
              <p className="warning">{t('doctors.notVerified')}</p>
            ) : null}
            {(['can_view_prescriptions', 'can_add_notes', 'can_modify_reminders'] as const).map((p) => (
              <label key={p} className="check">
                <input
                  type="checkbox"
                  checked={permissions[p]}
                  onChange={(e) => setPermissions({ ...permissions, [p]: e.currentTarget.checked })}
                />
                {t(`doctors.permission.${p}`)}
              </label>
            ))}
            <button type="button" className="primary" onClick={() => void accept()}>
              {t('doctors.accept')}
            </button>
          </div>
        ) : null}
        <ErrorText error={error} />
      </form>
      <ul className="list">
        {(rel.data?.items ?? []).map((r) => (
          <li key={r.id}>
            <strong>
              {r.doctor !== null
                ? `${r.doctor.first_name ?? ''} ${r.doctor.last_name ?? ''}`
                : r.patient !== null
                  ? `${r.patient.first_name ?? ''} ${r.patient.last_name ?? ''}`
                  : ''}
            </strong>
            <span className="muted"> · {t(`relationship.${r.status}`)}</span>
            {r.status === 'active' ? (
              <button
                type="button"
                className="danger"
                onClick={async () => {
                  must(
                    await api.POST('/api/v1/care/relationships/{id}/end', {
                      params: { path: { id: r.id } },
                      body: { reason: 'ended by the patient in the app' },
                    }),
                  );
                  await client.invalidateQueries({ queryKey: ['relationships'] });
                }}
              >
                {t('doctors.end')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <NotesList />
    </section>
  );
}
