/**
 * One prescription: the reading's progress (polled), then the review — the photo beside the
 * fields, low-confidence fields highlighted, the 4-slot dose grid (½ steps), add/remove a
 * medication — and confirm. Once confirmed: the medicines and their reminders.
 */
import { useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Loading } from '../../components/Loading.tsx';
import { Confirmed } from './review/Confirmed.tsx';
import { ReadingFailed, ReadingProgress } from './review/Reading.tsx';
import { ReviewForm } from './review/ReviewForm.tsx';

const READING = ['pending', 'processing'];

export function Review() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['prescription', id],
    queryFn: async () => must(await api.GET('/api/v1/prescriptions/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (READING.includes(query.state.data?.status ?? 'pending') ? 1500 : false),
  });
  const p = q.data;

  if (q.error !== null) return <ErrorText error={q.error} />;
  if (p === undefined) return <Loading />;
  if (READING.includes(p.status)) return <ReadingProgress id={id} p={p} />;
  if (p.status === 'error') return <ReadingFailed id={id} />;
  if (p.status === 'completed' || p.status === 'archived') {
    return (
      <section>
        <h1>{t('review.title')}</h1>
        <Confirmed p={p} />
      </section>
    );
  }
  if (p.status !== 'ocr_completed') return <Loading />;
  return <ReviewForm id={id} p={p} />;
}
