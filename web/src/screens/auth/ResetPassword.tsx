/** /reset-password: without a token, ask for the link; with ?token= (the e-mail's link), set a new password. */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, must, setSession } from '../../api/client.ts';
import { ErrorText, Field, NewPasswordField } from '../../components/Field.tsx';
import { useFormSubmit } from '../../hooks/useFormSubmit.ts';

export function ResetPassword() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token');
  const [done, setDone] = useState(false);
  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    if (token === null) {
      must(await api.POST('/api/v1/auth/password-reset/request', { body: { email: String(form.get('email')) } }));
    } else {
      must(await api.POST('/api/v1/auth/password-reset', { body: { token, password: String(form.get('password')) } }));
      setSession(null); // every session ended
    }
    setDone(true);
  });

  return (
    <section className="card narrow">
      <h1>{t('reset.title')}</h1>
      {done ? (
        <>
          <p role="status" className="ok">
            {token === null ? t('reset.sent') : t('reset.done')}
          </p>
          <p>
            <Link className="button primary" to="/signin">
              {t('auth.signIn')}
            </Link>
          </p>
        </>
      ) : (
        <form onSubmit={onSubmit}>
          {token === null ? (
            <Field label={t('auth.email')} name="email" type="email" autoComplete="email" required />
          ) : (
            <NewPasswordField label={t('reset.newPassword')} />
          )}
          <ErrorText error={error} />
          <button className="primary" disabled={busy}>
            {token === null ? t('reset.send') : t('reset.save')}
          </button>
        </form>
      )}
    </section>
  );
}
