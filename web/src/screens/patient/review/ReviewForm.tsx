/**
 * The review of a read prescription: the photo beside the fields, low-confidence fields
 * highlighted, OCR suggestions for hard lines (Premium), add/remove a medication; save or confirm.
 */
import { lazy, Suspense, useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, type paths } from '../../../api/client.ts';
import { ErrorText } from '../../../components/Field.tsx';
import { useAction } from '../../../hooks/useFormSubmit.ts';
import type { Accepted } from '../../ai/OcrSuggestions.tsx';
import { SafetyAlerts } from './Confirmed.tsx';
import { HeaderFields, headerBody, headerOf } from './HeaderFields.tsx';
import { MedicationCard } from './MedicationCard.tsx';
import { Photo } from './Photo.tsx';
import { emptyMedication, hardToRead, type Detail, type Draft } from './draft.ts';

// OCR correction (Premium) loads on demand: the patient shell stays small.
const OcrSuggestions = lazy(() => import('../../ai/OcrSuggestions.tsx'));

type ReviewBody = NonNullable<
  paths['/api/v1/prescriptions/{id}']['patch']['requestBody']
>['content']['application/json'];

/** The draft with the suggestions she accepted applied to their lines. */
function accept(meds: Draft[], changes: Accepted[]): Draft[] {
  return meds.map((m, i) => changes.filter((c) => c.index === i).reduce((x, c) => ({ ...x, [c.field]: c.value }), m));
}

/** Saves the draft as edited; with `confirm`, confirms it too (medicines and reminders) and shows the result. */
function useSave(id: string) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const action = useAction();
  const save = (body: ReviewBody, confirm: boolean) =>
    action.run(async () => {
      must(await api.PATCH('/api/v1/prescriptions/{id}', { params: { path: { id } }, body }));
      if (confirm) {
        must(await api.POST('/api/v1/prescriptions/{id}/confirm', { params: { path: { id } }, body: {} }));
        void client.invalidateQueries({ queryKey: ['today'] });
      }
      await client.invalidateQueries({ queryKey: ['prescription', id] });
      if (confirm) navigate(`/prescriptions/${id}`, { replace: true });
    });
  return { ...action, save };
}

export function ReviewForm({ id, p }: { id: string; p: Detail }) {
  const { t } = useTranslation();
  const [meds, setMeds] = useState<Draft[]>(() =>
    p.draft_medications.length > 0 ? p.draft_medications : [emptyMedication()],
  );
  const [header, setHeader] = useState(() => headerOf(p));
  const { busy, error, save } = useSave(id);
  const body = () => ({ ...headerBody(header), medications: meds.map((m) => ({ ...m, name: m.name.trim() })) });

  return (
    <section>
      <h1>{t('review.title')}</h1>
      <p className="muted">{t('review.help')}</p>
      <SafetyAlerts alerts={p.safety_alerts} />
      {p.draft_medications.some(hardToRead) ? (
        <Suspense fallback={null}>
          <OcrSuggestions prescriptionId={id} lines={meds} onAccept={(changes) => setMeds(accept(meds, changes))} />
        </Suspense>
      ) : null}
      <div className="review">
        <Photo id={id} />
        <form
          className="fields"
          onSubmit={(e) => {
            e.preventDefault();
            void save(body(), true);
          }}
        >
          <HeaderFields header={header} onChange={setHeader} />
          {meds.map((m, i) => (
            <MedicationCard
              key={i}
              m={m}
              n={i + 1}
              onChange={(d) => setMeds(meds.map((x, j) => (j === i ? d : x)))}
              onRemove={() => setMeds(meds.filter((_, j) => j !== i))}
            />
          ))}
          <button type="button" onClick={() => setMeds([...meds, emptyMedication()])}>
            {t('review.add')}
          </button>
          <ErrorText error={error} />
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => void save(body(), false)}>
              {t('review.save')}
            </button>
            <button className="primary" disabled={busy || meds.length === 0}>
              {t('review.confirm')}
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}
