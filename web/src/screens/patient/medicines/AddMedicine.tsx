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
import { DoseGrid } from '../../../components/DoseGrid.tsx';
import { useFormSubmit } from '../../../hooks/useFormSubmit.ts';
import { localDay } from '../../../format.ts';
import { IntervalFields, KindChoice, MealChoice, UnitSelect, type Every, type Kind } from './AddMedicineFields.tsx';

function num(form: FormData, name: string): number {
  return Number(String(form.get(name) ?? '').replace(',', '.'));
}

function text(form: FormData, name: string): string {
  return String(form.get(name) ?? '').trim();
}

/** The schedule of the kind chosen, from the form's fields. */
function scheduleOf(kind: Kind, form: FormData) {
  if (kind === 'slots') {
    return {
      kind,
      dosage_schedule: {
        morning: num(form, 'morning'),
        noon: num(form, 'noon'),
        evening: num(form, 'evening'),
        night: num(form, 'night'),
      },
    };
  }
  if (kind === 'interval') {
    return {
      kind,
      every_hours: Number(form.get('every_hours')) as Every,
      first_dose_time: text(form, 'first_dose_time'),
      dose_amount: num(form, 'dose_amount'),
    };
  }
  return { kind, dose_amount: num(form, 'dose_amount') };
}

/** What POST /medications takes, from the form's fields. */
function medicationOf(kind: Kind, form: FormData) {
  const days = text(form, 'duration_days');
  const meal = text(form, 'meal');
  return {
    name: text(form, 'name'),
    strength: text(form, 'strength') === '' ? null : text(form, 'strength'),
    dose_unit: text(form, 'dose_unit'),
    instructions: text(form, 'instructions') === '' ? null : text(form, 'instructions'),
    take_after_meal: meal === 'after',
    take_before_meal: meal === 'before',
    start_date: text(form, 'start_date'),
    duration_days: days === '' ? null : Math.round(Number(days)),
    schedule: scheduleOf(kind, form),
  };
}

/** Adds the medicine, then opens its page. */
function useAddMedicine(kind: Kind) {
  const navigate = useNavigate();
  const client = useQueryClient();
  return useFormSubmit(async (form) => {
    const created = must(await api.POST('/api/v1/medications', { body: medicationOf(kind, form) }));
    await client.invalidateQueries({ queryKey: ['medications'] });
    void client.invalidateQueries({ queryKey: ['today'] });
    navigate(`/medicines/${created.id}`, { replace: true });
  });
}

export function AddMedicine() {
  const { t } = useTranslation();
  const [kind, setKind] = useState<Kind>('slots');
  const { busy, error, onSubmit } = useAddMedicine(kind);
  return (
    <section>
      <h1>{t('medicines.add')}</h1>
      <form className="card" onSubmit={onSubmit}>
        <Field label={t('review.name')} name="name" required maxLength={200} autoComplete="off" />
        <Field label={t('review.strength')} name="strength" maxLength={50} hint={t('addMedicine.strengthHint')} />
        <UnitSelect />
        <KindChoice kind={kind} onChange={setKind} />
        {kind === 'slots' ? (
          <DoseGrid input={(slot) => ({ name: slot, defaultValue: slot === 'morning' ? 1 : 0 })} />
        ) : null}
        {kind === 'interval' ? <IntervalFields /> : null}
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
        <MealChoice />
        <Field label={t('review.instructions')} name="instructions" maxLength={500} />
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>
          {t('addMedicine.save')}
        </button>
      </form>
    </section>
  );
}
