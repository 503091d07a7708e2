import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, must, setSession } from '../../api/client.ts';
import type { Lang } from '../../i18n.ts';
import { ErrorText, Field, NewPasswordField } from '../../components/Field.tsx';
import { useFormSubmit } from '../../hooks/useFormSubmit.ts';

export function SignUp() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [role, setRole] = useState<'patient' | 'doctor'>('patient');

  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    const pair = must(
      await api.POST('/api/v1/auth/register', {
        body: {
          email: String(form.get('email')),
          password: String(form.get('password')),
          first_name: String(form.get('first_name')),
          last_name: String(form.get('last_name')),
          role,
          language: i18n.language as Lang,
          // the browser's zone; without one the server takes its home zone (src/core/constants.ts)
          timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || undefined,
        },
      }),
    );
    setSession({ access: pair.access_token, refresh: pair.refresh_token, user: pair.user });
    navigate('/settings?welcome=1', { replace: true });
  });

  return (
    <section className="card narrow">
      <h1>{t('auth.signUp')}</h1>
      <form onSubmit={onSubmit}>
        <fieldset className="choice">
          <legend>{t('auth.iAm')}</legend>
          <label>
            <input type="radio" name="role" checked={role === 'patient'} onChange={() => setRole('patient')} />{' '}
            {t('role.patient')}
          </label>
          <label>
            <input type="radio" name="role" checked={role === 'doctor'} onChange={() => setRole('doctor')} />{' '}
            {t('role.doctor')}
          </label>
        </fieldset>
        <Field label={t('auth.firstName')} name="first_name" autoComplete="given-name" required maxLength={100} />
        <Field label={t('auth.lastName')} name="last_name" autoComplete="family-name" required maxLength={100} />
        <Field label={t('auth.email')} name="email" type="email" autoComplete="email" required />
        <NewPasswordField label={t('auth.password')} />
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>
          {t('auth.signUp')}
        </button>
      </form>
      <p>
        <Link to="/signin">{t('auth.haveAccount')}</Link>
      </p>
    </section>
  );
}
