/** Delete my account (DELETE /me): a confirmation step with my password; then signed out. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, setSession } from '../../api/client.ts';
import { ErrorText, Field } from '../Field.tsx';
import { useFormSubmit } from '../../hooks/useFormSubmit.ts';

export function DeleteAccount() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const { busy, error, onSubmit } = useFormSubmit(async (form) => {
    must(await api.DELETE('/api/v1/me', { body: { password: String(form.get('password')), confirm: 'DELETE' } }));
    setSession(null);
    client.clear();
    // A fresh load of the sign-in page: nothing of hers stays in memory (and the signed-in page's
    // own redirect to sign-in, with ?next=, cannot overtake this one).
    window.location.replace('/signin?erased=1');
  });
  return (
    <div className="card">
      <h2>{t('erase.title')}</h2>
      <p className="muted">{t('erase.what')}</p>
      {!asking ? (
        <button type="button" className="danger" onClick={() => setAsking(true)}>
          {t('erase.start')}
        </button>
      ) : (
        <form onSubmit={onSubmit} data-testid="erase-confirm">
          <p className="note">{t('erase.sure')}</p>
          <label className="check">
            <input type="checkbox" name="understood" required /> {t('erase.understood')}
          </label>
          <Field label={t('auth.password')} name="password" type="password" autoComplete="current-password" required />
          <ErrorText error={error} />
          <button className="danger" disabled={busy}>
            {t('erase.confirm')}
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            {t('medicines.cancel')}
          </button>
        </form>
      )}
    </div>
  );
}
