/** While the reader works: its progress, a word when it takes long, a way out when it is stuck; and a failed reading. */
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../../api/client.ts';
import { ErrorText } from '../../../components/Field.tsx';
import { useAction } from '../../../hooks/useFormSubmit.ts';
import type { Detail } from './draft.ts';

/** A reading usually takes well under a minute: after 3 minutes, say it takes long. */
const SLOW_READING_MS = 3 * 60_000;
/** The server's STALE_READING_MS (src/prescriptions/service.ts): no job is reading it any more; it may be removed. */
const STALE_READING_MS = 30 * 60_000;

/** Removes a reading no job works on any more, and goes back to scanning. */
function Stuck({ id }: { id: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { error, setError } = useAction();
  return (
    <div className="note" role="alert" data-testid="reading-stuck">
      <p>{t('reading.stuck')}</p>
      <button
        type="button"
        onClick={async () => {
          const r = await api.DELETE('/api/v1/prescriptions/{id}', { params: { path: { id } } });
          if (!r.response.ok) setError(new Error(t('reading.deleteFailed')));
          else {
            void client.invalidateQueries({ queryKey: ['prescriptions'] });
            navigate('/scan', { replace: true });
          }
        }}
      >
        {t('reading.again')}
      </button>
      <ErrorText error={error} />
    </div>
  );
}

export function ReadingProgress({ id, p }: { id: string; p: Detail }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <h1>{t('review.reading')}</h1>
      <progress aria-label={t('review.reading')} />
      <p aria-live="polite">{t(`prescriptionStatus.${p.status}`)}</p>
      {Date.now() - Date.parse(p.updated_at) > STALE_READING_MS ? (
        <Stuck id={id} />
      ) : Date.now() - Date.parse(p.updated_at) > SLOW_READING_MS ? (
        <p className="note" role="status">
          {t('reading.slow')}
        </p>
      ) : null}
    </section>
  );
}

export function ReadingFailed({ id }: { id: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  return (
    <section className="card">
      <h1>{t('review.title')}</h1>
      <p role="alert" className="error">
        {t('review.failed')}
      </p>
      <button
        onClick={async () => {
          must(await api.POST('/api/v1/prescriptions/{id}/reprocess', { params: { path: { id } } }));
          await client.invalidateQueries({ queryKey: ['prescription', id] });
        }}
      >
        {t('review.again')}
      </button>
    </section>
  );
}
