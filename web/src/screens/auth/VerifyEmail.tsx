/** The landing page of the verification e-mail's link: /verify-email?token=… */
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { useSession } from '../../session.ts';

export function VerifyEmail() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token');
  const session = useSession();
  const [state, setState] = useState<'working' | 'done' | 'failed'>(token === null ? 'failed' : 'working');
  const [error, setError] = useState<unknown>(token === null ? new Error(t('verify.noToken')) : null);
  const started = useRef(false);

  useEffect(() => {
    if (token === null || started.current) return;
    started.current = true;
    api
      .POST('/api/v1/auth/verify-email', { body: { token } })
      .then((r) => {
        must(r);
        setState('done');
      })
      .catch((err: unknown) => {
        setError(err);
        setState('failed');
      });
  }, [token]);

  return (
    <section className="card narrow">
      <h1>{t('verify.title')}</h1>
      {state === 'working' ? <p aria-live="polite">{t('verify.working')}</p> : null}
      {state === 'done' ? (
        <p role="status" className="ok">
          {t('verify.done')}
        </p>
      ) : null}
      {state === 'failed' ? <ErrorText error={error} /> : null}
      <p>
        <Link className="button primary" to={session === null ? '/signin' : '/'}>
          {t('verify.continue')}
        </Link>
      </p>
    </section>
  );
}
