/**
 * Add a medicine by hand (no photo): name, strength, unit, a schedule — doses at my four times
 * (½ steps), every N hours from a first time, or as needed — the first day and how long.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../../api/client.ts';
import { ErrorText, Field } from '../../../components/Field.tsx';
import { useFormSubmit } from '../../../hooks/useFormSubmit.ts';
import { digits, localDay } from '../../../format.ts';
import { SLOT_NAMES } from './shared.ts';

const EVERY = [1, 2, 3, 4, 6, 8, 12] as const;
type Every = (typeof EVERY)[number];
type Kind = 'slots' | 'interval' | 'as_needed';

function num(form: FormData, name: string): number {
  return Number(String(form.get(name) ?? '').replace(',', '.'));
}

export function AddMedicine() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [kind, setKind] = useState<Kind>('slots');
  const units: [string, string][] = [
    ['tablet', t('addMedicine.unitName.tablet')],
    ['capsule', t('addMedicine.unitName.capsule')],
    ['ml', t('addMedicine.unitName.ml')],
    ['drop', t('addMedicine.unitName.drop')],
    ['sachet', t('addMedicine.unitName.sachet')],
    ['puff', t('addMedicine.unitName.puff')],
    ['dose', t('addMedicine.unitName.dose')],
  ];
  const kinds: [Kind, string][] = [
    ['slots', t('addMedicine.kind.slots')],
    ['interval', t('addMedicine.kind.interval')],
    ['as_needed', t('addMedicine.kind.as_needed')],
  ];
  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const schedule =
      kind === 'slots'
        ? {
            kind,
            dosage_schedule: {
              morning: num(form, 'morning'),
              noon: num(form, 'noon'),
              evening: num(form, 'evening'),
              night: num(form, 'night'),
            },
          }
        : kind === 'interval'
          ? {
              kind,
              every_hours: Number(form.get('every_hours')) as Every,
              first_dose_time: text('first_dose_time'),
              dose_amount: num(form, 'dose_amount'),
            }
          : { kind, dose_amount: num(form, 'dose_amount') };
    const days = text('duration_days');
    const meal = text('meal');
    const created = must(
      await api.POST('/api/v1/medications', {
        body: {
          name: text('name'),
          strength: text('strength') === '' ? null : text('strength'),
          dose_unit: text('dose_unit'),
          instructions: text('instructions') === '' ? null : text('instructions'),
          take_after_meal: meal === 'after',
          take_before_meal: meal === 'before',
          start_date: text('start_date'),
          duration_days: days === '' ? null : Math.round(Number(days)),
          schedule,
        },
      }),
    );
    await client.invalidateQueries({ queryKey: ['medications'] });
    void client.invalidateQueries({ queryKey: ['today'] });
    navigate(`/medicines/${created.id}`, { replace: true });
  });

  return (
    <section>
      <h1>{t('medicines.add')}</h1>
      <form className="card" onSubmit={onSubmit}>
        <Field label={t('review.name')} name="name" required maxLength={200} autoComplete="off" />
        <Field label={t('review.strength')} name="strength" maxLength={50} hint={t('addMedicine.strengthHint')} />
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
        <fieldset className="choice">
          <legend>{t('addMedicine.when')}</legend>
          {kinds.map(([k, label]) => (
            <label key={k}>
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {label}
            </label>
          ))}
        </fieldset>
        {kind === 'slots' ? (
          <fieldset className="grid">
            <legend>{t('review.doses')}</legend>
            {SLOT_NAMES.map((slot) => (
              <Field
                key={slot}
                label={t(`slot.${slot}`)}
                name={slot}
                type="number"
                inputMode="decimal"
                min={0}
                max={100}
                step={0.5}
                defaultValue={slot === 'morning' ? 1 : 0}
              />
            ))}
          </fieldset>
        ) : null}
        {kind === 'interval' ? (
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
            <Field
              label={t('addMedicine.firstTime')}
              name="first_dose_time"
              type="time"
              required
              defaultValue="08:00"
            />
          </>
        ) : null}
        {kind !== 'slots' ? (
          <Field
            label={t('addMedicine.amount')}
            name="dose_amount"
            type="number"
            inputMode="decimal"
            min={0.25}
            max={100}
            step={0.25}
            required
            defaultValue={1}
          />
        ) : null}
        <Field
          label={t('addMedicine.start')}
          name="start_date"
          type="date"
          required
          defaultValue={localDay(new Date())}
        />
        <Field
          label={t('review.days')}
          name="duration_days"
          type="number"
          min={1}
          max={3650}
          hint={t('addMedicine.daysHint')}
        />
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
        <Field label={t('review.instructions')} name="instructions" maxLength={500} />
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>
          {t('addMedicine.save')}
        </button>
      </form>
    </section>
  );
}
