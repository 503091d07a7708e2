import type { InputHTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { SLOTS, type Slot } from '../slots.ts';
import { Field } from './Field.tsx';

/** The amount to take at each of the four times (½ steps); `input` gives each slot's value and handler. */
export function DoseGrid({
  warn = false,
  input,
}: {
  warn?: boolean;
  input: (slot: Slot) => InputHTMLAttributes<HTMLInputElement>;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className={warn ? 'grid warn' : 'grid'}>
      <legend>{t('review.doses')}</legend>
      {SLOTS.map((slot) => (
        <Field
          key={slot}
          label={t(`slot.${slot}`)}
          type="number"
          inputMode="decimal"
          min={0}
          max={100}
          step={0.5}
          {...input(slot)}
        />
      ))}
    </fieldset>
  );
}
