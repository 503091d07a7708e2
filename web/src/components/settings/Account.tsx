/**
 * The account's own settings: who I am and whether my e-mail is verified (send the link
 * again), my time zone, and my four dose times (patients).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { Field } from '../Field.tsx';
import { SLOTS } from '../../slots.ts';

type Me = GetOk<'/api/v1/me'>;
/** Runs a change, its error shown by the settings screen; `done` says what was done. */
export interface SettingsAction {
  run: (f: () => Promise<void>) => Promise<void>;
  done: (message: string) => void;
}

export function AccountCard({ me, action }: { me: Me; action: SettingsAction }) {
  const { t } = useTranslation();
  return (
    <div className="card">
      <p>
        <strong>
          {me.first_name} {me.last_name}
        </strong>{' '}
        · {me.email} · {t(`role.${me.role}`)}
      </p>
      {me.email_verified ? (
        <p className="ok">{t('settings.verified')}</p>
      ) : (
        <p className="note">
          {t('settings.notVerified')}{' '}
          <button
            type="button"
            onClick={() =>
              void action.run(async () => {
                must(await api.POST('/api/v1/auth/verify-email/request'));
                action.done(t('settings.verifySent'));
              })
            }
          >
            {t('settings.resend')}
          </button>
        </p>
      )}
    </div>
  );
}

export function TimeZoneForm({ me, action }: { me: Me; action: SettingsAction }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [zone, setZone] = useState<string | null>(null);
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          must(await api.PATCH('/api/v1/me', { body: { timezone: (zone ?? me.timezone).trim() } }));
          await client.invalidateQueries({ queryKey: ['me'] });
          action.done(t('settings.saved'));
        });
      }}
    >
      <Field
        label={t('settings.timezone')}
        value={zone ?? me.timezone}
        onChange={(e) => setZone(e.currentTarget.value)}
        maxLength={64}
        hint={t('settings.timezoneHint')}
      />
      <button>{t('common.save')}</button>
    </form>
  );
}

export function DoseTimesForm({ me, action }: { me: Me; action: SettingsAction }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [times, setTimes] = useState<Record<string, string> | null>(null);
  const shown = times ?? me.dose_schedule_template;
  async function save() {
    const t4 = { ...me.dose_schedule_template, ...(times ?? {}) };
    const template = {
      morning: t4.morning ?? '07:00',
      noon: t4.noon ?? '12:00',
      evening: t4.evening ?? '18:00',
      night: t4.night ?? '21:00',
    };
    must(await api.PATCH('/api/v1/me', { body: { dose_schedule_template: template } }));
    await client.invalidateQueries({ queryKey: ['me'] });
    action.done(t('settings.saved'));
  }
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(save);
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
            value={shown[slot] ?? ''}
            onChange={(e) => setTimes({ ...shown, [slot]: e.currentTarget.value })}
          />
        ))}
      </div>
      <button>{t('common.save')}</button>
    </form>
  );
}
