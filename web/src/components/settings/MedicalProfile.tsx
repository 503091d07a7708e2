/**
 * My medical profile, which the safety checks read: allergies and conditions (one per line),
 * pregnancy and breast-feeding (kept as the conditions the safety engine recognises), date of
 * birth and sex.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText, Field, StatusText, TextAreaField } from '../Field.tsx';
import { useFormSubmit } from '../../hooks/useFormSubmit.ts';

type Patient = NonNullable<GetOk<'/api/v1/me'>['patient']>;
type Gender = 'male' | 'female' | 'other';
/** The words the safety engine matches in the conditions (src/safety/engine.ts). */
const PREGNANCY = 'pregnancy';
const BREASTFEEDING = 'breastfeeding';
const STATES = [PREGNANCY, BREASTFEEDING];

const lines = (text: string): string[] =>
  [
    ...new Set(
      text
        .split(/\n|,|;/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ]
    .map((s) => s.slice(0, 200))
    .slice(0, 50);

export function MedicalProfile({ patient }: { patient: Patient }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [saved, setSaved] = useState(false);
  const [gender, setGender] = useState<string>(patient.gender ?? '');
  const conditions = patient.medical_conditions.filter((c) => !STATES.includes(c.toLowerCase()));
  const has = (state: string) => patient.medical_conditions.some((c) => c.toLowerCase() === state);
  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    setSaved(false);
    const states = gender === 'male' ? [] : STATES.filter((s) => form.get(s) === 'on');
    const birth = String(form.get('date_of_birth') ?? '');
    must(
      await api.PATCH('/api/v1/me', {
        body: {
          allergies: lines(String(form.get('allergies') ?? '')),
          medical_conditions: [...lines(String(form.get('conditions') ?? '')), ...states],
          date_of_birth: birth === '' ? null : birth,
          gender: gender === '' ? null : (gender as Gender),
        },
      }),
    );
    await client.invalidateQueries({ queryKey: ['me'] });
    setSaved(true);
  });
  return (
    <form className="card" onSubmit={onSubmit} data-testid="medical-profile">
      <h2>{t('profile.title')}</h2>
      <p className="muted">{t('profile.why')}</p>
      <TextAreaField
        label={t('profile.allergies')}
        hint={t('profile.onePerLine')}
        name="allergies"
        defaultValue={patient.allergies.join('\n')}
      />
      <TextAreaField
        label={t('profile.conditions')}
        hint={t('profile.onePerLine')}
        name="conditions"
        defaultValue={conditions.join('\n')}
      />
      <Field label={t('profile.birth')} name="date_of_birth" type="date" defaultValue={patient.date_of_birth ?? ''} />
      <fieldset className="choice">
        <legend>{t('profile.sex')}</legend>
        <label>
          <input type="radio" name="gender" checked={gender === 'female'} onChange={() => setGender('female')} />{' '}
          {t('profile.female')}
        </label>
        <label>
          <input type="radio" name="gender" checked={gender === 'male'} onChange={() => setGender('male')} />{' '}
          {t('profile.male')}
        </label>
        <label>
          <input type="radio" name="gender" checked={gender === 'other'} onChange={() => setGender('other')} />{' '}
          {t('profile.other')}
        </label>
      </fieldset>
      {gender !== 'male' ? (
        <fieldset>
          <legend>{t('profile.pregnancyTitle')}</legend>
          <label className="check">
            <input type="checkbox" name={PREGNANCY} defaultChecked={has(PREGNANCY)} /> {t('profile.pregnant')}
          </label>
          <label className="check">
            <input type="checkbox" name={BREASTFEEDING} defaultChecked={has(BREASTFEEDING)} />{' '}
            {t('profile.breastfeeding')}
          </label>
        </fieldset>
      ) : null}
      <ErrorText error={error} />
      <StatusText text={saved ? t('settings.saved') : null} />
      <button className="primary" disabled={busy}>
        {t('common.save')}
      </button>
    </form>
  );
}
