/** Clinical notes: a doctor writes one (private or shared); the patient sees the shared ones (polled: new ones appear within 15 s). */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../api/client.ts';
import { date } from '../format.ts';
import { ErrorText } from './Field.tsx';

export function NotesList({ patientId }: { patientId?: string }) {
  const { t, i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['notes', patientId ?? 'me'],
    queryFn: async () =>
      must(
        await api.GET('/api/v1/clinical-notes', {
          params: { query: patientId !== undefined ? { patient_id: patientId } : {} },
        }),
      ),
    refetchInterval: 15_000,
  });
  const items = q.data?.items ?? [];
  return (
    <div>
      <h2>{t('notes.title')}</h2>
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('notes.none')}</p> : null}
      <ul className="list" aria-live="polite">
        {items.map((n) => (
          <li key={n.id} data-testid="note">
            {n.title !== null ? <strong>{n.title}</strong> : null}
            <div className="pre">{n.content}</div>
            <div className="muted">
              {n.doctor_name ?? ''} · {date(n.created_at, i18n.language, t)}
              {n.is_private ? ` · ${t('notes.private')}` : ''}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function NoteForm({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [content, setContent] = useState('');
  const [shared, setShared] = useState(true);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      must(
        await api.POST('/api/v1/clinical-notes', {
          body: { patient_id: patientId, content: content.trim(), is_private: !shared },
        }),
      );
      setContent('');
      await client.invalidateQueries({ queryKey: ['notes', patientId] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form onSubmit={submit}>
      <div className="field">
        <label htmlFor="note-content">{t('notes.write')}</label>
        <textarea
          id="note-content"
          value={content}
          onChange={(e) => setContent(e.currentTarget.value)}
          required
          maxLength={20_000}
          rows={4}
        />
      </div>
      <label className="check">
        <input type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} />{' '}
        {t('notes.share')}
      </label>
      <ErrorText error={error} />
      <button className="primary" disabled={content.trim() === ''}>
        {t('notes.add')}
      </button>
    </form>
  );
}
