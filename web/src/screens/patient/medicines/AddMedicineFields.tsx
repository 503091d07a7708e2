/** The parts of the add-a-medicine form: the unit, the kind of schedule, every N hours, before or after meals. */
import { useTranslation } from 'react-i18next';
import { Field } from '../../../components/Field.tsx';
import { digits } from '../../../format.ts';

export const EVERY = [1, 2, 3, 4, 6, 8, 12] as const;
export type Every = (typeof EVERY)[number];
export type Kind = 'slots' | 'interval' | 'as_needed';

export function UnitSelect() {
  const { t } = useTranslation();
  const units: [string, string][] = [
    ['tablet', t('addMedicine.unitName.tablet')],
    ['capsule', t('addMedicine.unitName.capsule')],
    ['ml', t('addMedicine.unitName.ml')],
    ['drop', t('addMedicine.unitName.drop')],
    ['sachet', t('addMedicine.unitName.sachet')],
    ['puff', t('addMedicine.unitName.puff')],
    ['dose', t('addMedicine.unitName.dose')],
  ];
  return (
    <div className="field">
      <label htmlFor="dose-unit">{t('addMedicine.unit')}</label>
      <select id="dose-unit" name="dose_unit" defaultValue="tablet">
        {units.map(([u, label]) => (
          <option key={u} value={u}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function KindChoice({ kind, onChange }: { kind: Kind; onChange: (k: Kind) => void }) {
  const { t } = useTranslation();
  const kinds: [Kind, string][] = [
    ['slots', t('addMedicine.kind.slots')],
    ['interval', t('addMedicine.kind.interval')],
    ['as_needed', t('addMedicine.kind.as_needed')],
  ];
  return (
    <fieldset className="choice">
      <legend>{t('addMedicine.when')}</legend>
      {kinds.map(([k, label]) => (
        <label key={k}>
          <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => onChange(k)} /> {label}
        </label>
      ))}
    </fieldset>
  );
}

/** Every N hours from a first time. */
export function IntervalFields() {
  const { t, i18n } = useTranslation();
  return (
    <>
      <div className="field">
        <label htmlFor="every-hours">{t('addMedicine.every')}</label>
        <select id="every-hours" name="every_hours" defaultValue="8">
          {EVERY.map((h) => (
            <option key={h} value={h}>
              {t('addMedicine.hours', { n: digits(h, i18n.language) })}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('addMedicine.firstTime')} name="first_dose_time" type="time" required defaultValue="08:00" />
    </>
  );
}

export function MealChoice() {
  const { t } = useTranslation();
  return (
    <fieldset className="choice">
      <legend>{t('addMedicine.meal')}</legend>
      <label>
        <input type="radio" name="meal" value="" defaultChecked /> {t('addMedicine.mealAny')}
      </label>
      <label>
        <input type="radio" name="meal" value="before" /> {t('today.beforeMeal')}
      </label>
      <label>
        <input type="radio" name="meal" value="after" /> {t('today.afterMeal')}
      </label>
    </fieldset>
  );
}
