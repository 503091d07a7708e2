/** One medication of the draft: name, strength, the dose grid, how many days, instructions; remove. */
import { useTranslation } from 'react-i18next';
import { Field } from '../../../components/Field.tsx';
import { DoseGrid } from '../../../components/DoseGrid.tsx';
import { digits } from '../../../format.ts';
import { LOW, low, type Draft } from './draft.ts';

/** The text typed, or null when the field is empty. */
function orNull(value: string): string | null {
  return value === '' ? null : value;
}

export function MedicationCard({
  m,
  n,
  onChange,
  onRemove,
}: {
  m: Draft;
  /** its place in the list, from 1 */
  n: number;
  onChange: (m: Draft) => void;
  onRemove: () => void;
}) {
  const { t, i18n } = useTranslation();
  return (
    <div className="card med" data-testid="medication">
      <h2>{t('review.medication', { n: digits(n, i18n.language) })}</h2>
      {m.confidence !== undefined && m.confidence !== null && m.confidence < LOW ? (
        <p className="note">{t('review.checkThis')}</p>
      ) : null}
      <Field
        label={t('review.name')}
        value={m.name}
        required
        maxLength={200}
        warn={low(m, 'name')}
        onChange={(e) => onChange({ ...m, name: e.currentTarget.value })}
      />
      <Field
        label={t('review.strength')}
        value={m.strength ?? ''}
        maxLength={50}
        warn={low(m, 'strength')}
        onChange={(e) => onChange({ ...m, strength: orNull(e.currentTarget.value) })}
      />
      <DoseGrid
        warn={low(m, 'dosage_schedule')}
        input={(slot) => ({
          value: m.dosage_schedule[slot],
          onChange: (e) =>
            onChange({
              ...m,
              dosage_schedule: { ...m.dosage_schedule, [slot]: Math.max(0, Number(e.currentTarget.value) || 0) },
            }),
        })}
      />
      <Field
        label={t('review.days')}
        type="number"
        min={1}
        max={3650}
        value={m.duration_days ?? ''}
        warn={low(m, 'duration_days')}
        onChange={(e) =>
          onChange({
            ...m,
            duration_days: e.currentTarget.value === '' ? null : Math.max(1, Math.round(Number(e.currentTarget.value))),
          })
        }
      />
      <Field
        label={t('review.instructions')}
        value={m.instructions ?? ''}
        maxLength={500}
        onChange={(e) => onChange({ ...m, instructions: orNull(e.currentTarget.value) })}
      />
      <button type="button" className="danger" onClick={onRemove}>
        {t('review.remove')}
      </button>
    </div>
  );
}
