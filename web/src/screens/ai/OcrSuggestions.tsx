/**
 * OCR correction on the review screen (Premium): for each hard-to-read line of the draft, what
 * the lexicon and the knowledge base suggest ("Amoxicillin 500mg?"), accepted in one tap. A free
 * user sees what Premium would add, not an error.
 */
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiProblem, must } from '../../api/client.ts';
import { Upsell } from '../../components/Upsell.tsx';

export interface Accepted {
  index: number;
  field: 'name' | 'strength';
  value: string;
}

export default function OcrSuggestions({
  prescriptionId,
  lines,
  onAccept,
}: {
  prescriptionId: string;
  /** the draft as edited, by line: a line that already says what is suggested shows no button */
  lines: readonly { name: string; strength?: string | null | undefined }[];
  onAccept: (changes: Accepted[]) => void;
}) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['ocr-suggestions', prescriptionId],
    queryFn: async () =>
      must(await api.GET('/api/v1/ai/prescriptions/{id}/suggestions', { params: { path: { id: prescriptionId } } })),
    staleTime: Infinity,
  });
  if (q.error instanceof ApiProblem && q.error.status === 402) return <Upsell feature="suggestions" compact />;
  const items = (q.data?.items ?? []).filter((s) =>
    s.suggestions.some((x) => (x.field === 'name' ? lines[s.index]?.name : lines[s.index]?.strength) !== x.value),
  );
  if (items.length === 0) return null;
  return (
    <div className="card suggestions" data-testid="ocr-suggestions">
      <h2>{t('suggest.title')}</h2>
      <ul className="list">
        {items.map((s) => (
          <li key={s.index}>
            <span>{t('suggest.line', { name: s.name === '' ? '—' : s.name })}</span>{' '}
            <button
              type="button"
              className="primary"
              onClick={() =>
                onAccept(
                  s.suggestions
                    .filter(
                      (x): x is typeof x & { field: 'name' | 'strength' } =>
                        x.field === 'name' || x.field === 'strength',
                    )
                    .map((x) => ({ index: s.index, field: x.field, value: x.value })),
                )
              }
            >
              {t('suggest.use', { label: s.label.replace(/\?$/, '') })}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
