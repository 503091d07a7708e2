/**
 * Settings (the e-mails' link; the first run after sign-up, ?welcome=1): language, time zone,
 * e-mail verification, dose times, notifications (push, e-mail), medical profile, devices,
 * privacy (access log, export), delete my account, sign out.
 */
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, setSession } from '../api/client.ts';
import { LanguageSwitch } from '../components/LanguageSwitch.tsx';
import { ErrorText, StatusText } from '../components/Field.tsx';
import { Privacy } from '../components/Privacy.tsx';
import { AccountCard, DoseTimesForm, TimeZoneForm, type SettingsAction } from '../components/settings/Account.tsx';
import { NotificationSettings } from '../components/settings/Notifications.tsx';
import { MedicalProfile } from '../components/settings/MedicalProfile.tsx';
import { Sessions } from '../components/settings/Sessions.tsx';
import { DeleteAccount } from '../components/settings/DeleteAccount.tsx';
import { useAction } from '../hooks/useFormSubmit.ts';

/** Sign out here, or everywhere (every session of the account). */
function SignOut() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  async function signOut(all: boolean) {
    await api.POST('/api/v1/auth/logout', { params: { query: all ? { all: true } : {} } }).catch(() => undefined);
    navigate('/signin', { replace: true });
    setSession(null);
    client.clear();
  }
  return (
    <div className="card actions">
      <button type="button" onClick={() => void signOut(false)}>
        {t('auth.signOut')}
      </button>
      <button type="button" className="danger" onClick={() => void signOut(true)}>
        {t('auth.signOutAll')}
      </button>
    </div>
  );
}

export function Settings() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const me = useQuery({ queryKey: ['me'], queryFn: async () => must(await api.GET('/api/v1/me')) });
  const [message, setMessage] = useState<string | null>(null);
  const { error, run } = useAction();
  const action: SettingsAction = {
    run: (f) => {
      setMessage(null);
      return run(f);
    },
    done: setMessage,
  };

  const m = me.data;
  return (
    <section>
      <h1>{t('settings.title')}</h1>
      {params.get('welcome') !== null ? (
        <p className="note" role="status">
          {t('settings.welcome')}
        </p>
      ) : null}
      {m !== undefined ? <AccountCard me={m} action={action} /> : null}
      <div className="card">
        <h2>{t('app.language')}</h2>
        <LanguageSwitch />
      </div>
      {m !== undefined ? <TimeZoneForm me={m} action={action} /> : null}
      {m !== undefined && m.role === 'patient' ? <DoseTimesForm me={m} action={action} /> : null}
      <StatusText text={message} />
      <ErrorText error={error} />
      {m !== undefined ? <NotificationSettings me={m} /> : null}
      {m?.patient !== undefined ? <MedicalProfile patient={m.patient} /> : null}
      {m !== undefined ? <Sessions /> : null}
      {m !== undefined ? <Privacy /> : null}
      {m !== undefined ? <DeleteAccount /> : null}
      <SignOut />
    </section>
  );
}
