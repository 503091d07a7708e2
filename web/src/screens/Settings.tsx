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
import { ErrorText, Field, StatusText } from '../components/Field.tsx';
import { Privacy } from '../components/Privacy.tsx';
import { NotificationSettings } from '../components/settings/Notifications.tsx';
import { MedicalProfile } from '../components/settings/MedicalProfile.tsx';
import { Sessions } from '../components/settings/Sessions.tsx';
import { DeleteAccount } from '../components/settings/DeleteAccount.tsx';
import { useAction } from '../hooks/useFormSubmit.ts';
import { SLOTS } from '../slots.ts';

export function Settings() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const me = useQuery({ queryKey: ['me'], queryFn: async () => must(await api.GET('/api/v1/me')) });
  const [zone, setZone] = useState<string | null>(null);
  const [times, setTimes] = useState<Record<string, string> | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { error, run: runAction } = useAction();
  const run = (f: () => Promise<void>) => {
    setMessage(null);
    return runAction(f);
  };
  async function signOut(all: boolean) {
    await api.POST('/api/v1/auth/logout', { params: { query: all ? { all: true } : {} } }).catch(() => undefined);
    navigate('/signin', { replace: true });
    setSession(null);
    client.clear();
  }

  const m = me.data;
  return (
    <section>
      <h1>{t('settings.title')}</h1>
      {params.get('welcome') !== null ? (
        <p className="note" role="status">
          {t('settings.welcome')}
        </p>
      ) : null}
      {m !== undefined ? (
        <div className="card">
          <p>
            <strong>
              {m.first_name} {m.last_name}
            </strong>{' '}
            · {m.email} · {t(`role.${m.role}`)}
          </p>
          {m.email_verified ? (
            <p className="ok">{t('settings.verified')}</p>
          ) : (
            <p className="note">
              {t('settings.notVerified')}{' '}
              <button
                type="button"
                onClick={() =>
                  void run(async () => {
                    must(await api.POST('/api/v1/auth/verify-email/request'));
                    setMessage(t('settings.verifySent'));
                  })
                }
              >
                {t('settings.resend')}
              </button>
            </p>
          )}
        </div>
      ) : null}
      <div className="card">
        <h2>{t('app.language')}</h2>
        <LanguageSwitch />
      </div>
      {m !== undefined ? (
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              must(await api.PATCH('/api/v1/me', { body: { timezone: (zone ?? m.timezone).trim() } }));
              await client.invalidateQueries({ queryKey: ['me'] });
              setMessage(t('settings.saved'));
            });
          }}
        >
          <Field
            label={t('settings.timezone')}
            value={zone ?? m.timezone}
            onChange={(e) => setZone(e.currentTarget.value)}
            maxLength={64}
            hint={t('settings.timezoneHint')}
          />
          <button>{t('common.save')}</button>
        </form>
      ) : null}
      {m !== undefined && m.role === 'patient' ? (
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              const t4 = { ...m.dose_schedule_template, ...(times ?? {}) };
              must(
                await api.PATCH('/api/v1/me', {
                  body: {
                    dose_schedule_template: {
                      morning: t4.morning ?? '07:00',
                      noon: t4.noon ?? '12:00',
                      evening: t4.evening ?? '18:00',
                      night: t4.night ?? '21:00',
                    },
                  },
                }),
              );
              await client.invalidateQueries({ queryKey: ['me'] });
              setMessage(t('settings.saved'));
            });
          }}
        >
          <h2>{t('settings.times')}</h2>
          <p className="muted">{t('settings.timesHint')}</p>
          <div className="grid">
            {SLOTS.map((slot) => (
              <Field
                key={slot}
                label={t(`slot.${slot}`)}
                type="time"
                value={(times ?? m.dose_schedule_template)[slot] ?? ''}
                onChange={(e) => setTimes({ ...(times ?? m.dose_schedule_template), [slot]: e.currentTarget.value })}
              />
            ))}
          </div>
          <button>{t('common.save')}</button>
        </form>
      ) : null}
      <StatusText text={message} />
      <ErrorText error={error} />
      {m !== undefined ? <NotificationSettings me={m} /> : null}
      {m?.patient !== undefined ? <MedicalProfile patient={m.patient} /> : null}
      {m !== undefined ? <Sessions /> : null}
      {m !== undefined ? <Privacy /> : null}
      {m !== undefined ? <DeleteAccount /> : null}
      <div className="card actions">
        <button type="button" onClick={() => void signOut(false)}>
          {t('auth.signOut')}
        </button>
        <button type="button" className="danger" onClick={() => void signOut(true)}>
          {t('auth.signOutAll')}
        </button>
      </div>
    </section>
  );
}
