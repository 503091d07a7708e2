import { Link, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, must, setSession } from '../../api/client.ts';
import { setLanguage, LANGUAGES, type Lang } from '../../i18n.ts';
import { ErrorText, Field } from '../../components/Field.tsx';
import { useFormSubmit } from '../../hooks/useFormSubmit.ts';

/** Only same-app paths after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignIn() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    const pair = must(
      await api.POST('/api/v1/auth/login', {
        body: { email: String(form.get('email')), password: String(form.get('password')) },
      }),
    );
    setSession({ access: pair.access_token, refresh: pair.refresh_token, user: pair.user });
    if ((LANGUAGES as readonly string[]).includes(pair.user.language)) setLanguage(pair.user.language as Lang);
    navigate(safeNext(params.get('next')), { replace: true });
  });

  return (
    <section className="card narrow">
      <h1>{t('auth.signIn')}</h1>
      {params.get('erased') !== null ? (
        <p role="status" className="ok">
          {t('erase.done')}
        </p>
      ) : null}
      <form onSubmit={onSubmit}>
        <Field label={t('auth.email')} name="email" type="email" autoComplete="email" required />
        <Field label={t('auth.password')} name="password" type="password" autoComplete="current-password" required />
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>
          {t('auth.signIn')}
        </button>
      </form>
      <p>
        <Link to="/signup">{t('auth.noAccount')}</Link>
      </p>
      <p>
        <Link to="/reset-password">{t('auth.forgot')}</Link>
      </p>
    </section>
  );
}
