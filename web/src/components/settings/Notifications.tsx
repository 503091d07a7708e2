/**
 * How reminders reach me: Web Push on this phone (permission, subscription, my registered
 * browsers with remove) and the e-mail switch the reminder e-mails point to.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText, StatusText } from '../Field.tsx';
import { useAction } from '../../hooks/useFormSubmit.ts';
import { currentSubscription, enablePush, pushSupported, removeDevice } from '../../push.ts';
import { PushDevices, type PushDevice } from './PushDevices.tsx';

type Me = GetOk<'/api/v1/me'>;

/** The e-mail switch: shown at once, put back when the server refuses. */
function useEmailSwitch(me: Me, action: ReturnType<typeof useAction>, say: (message: string | null) => void) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [email, setEmail] = useState(me.notification_preferences.email ?? false);
  async function switchEmail(on: boolean) {
    say(null);
    setEmail(on);
    await action.run(async () => {
      try {
        must(await api.PATCH('/api/v1/me', { body: { notification_preferences: { email: on } } }));
      } catch (err) {
        setEmail(!on);
        throw err;
      }
      await client.invalidateQueries({ queryKey: ['me'] });
      say(t('settings.saved'));
    });
  }
  return { email, switchEmail };
}

export function NotificationSettings({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const devices = useQuery({
    queryKey: ['push-devices'],
    queryFn: async () => must(await api.GET('/api/v1/me/push-subscriptions')),
  });
  const [mine, setMine] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction();
  const { busy, error, run } = action;
  const { email, switchEmail } = useEmailSwitch(me, action, setMessage);

  useEffect(() => {
    void currentSubscription().then(
      (s) => setMine(s?.endpoint ?? null),
      () => setMine(null),
    );
  }, [devices.data]);

  const enable = () => {
    setMessage(null);
    void run(async () => {
      await enablePush();
      await client.invalidateQueries({ queryKey: ['push-devices'] });
      await client.invalidateQueries({ queryKey: ['me'] });
      setMessage(t('push.enabled'));
    });
  };
  const remove = (d: PushDevice) =>
    void run(async () => {
      await removeDevice(d.id, d.endpoint);
      await client.invalidateQueries({ queryKey: ['push-devices'] });
      setMine(null);
    });
  const items = devices.data?.items ?? [];
  const permission = pushSupported() ? Notification.permission : 'unsupported';
  return (
    <div className="card" data-testid="notification-settings">
      <h2>{t('push.title')}</h2>
      <p className="muted">{t('push.why')}</p>
      {permission === 'unsupported' ? <p className="note">{t('problem.push_unsupported')}</p> : null}
      {permission === 'denied' ? <p className="note">{t('problem.push_denied')}</p> : null}
      {mine !== null && items.some((d) => d.endpoint === mine) ? (
        <p className="ok" role="status">
          {t('push.onHere')}
        </p>
      ) : (
        <button type="button" className="primary" disabled={busy || permission === 'unsupported'} onClick={enable}>
          {t('push.enable')}
        </button>
      )}
      <PushDevices items={items} loaded={devices.isSuccess} mine={mine} busy={busy} onRemove={remove} />
      <label className="check">
        <input type="checkbox" checked={email} onChange={(e) => void switchEmail(e.currentTarget.checked)} />
        {t('push.email')}
      </label>
      <p className="muted">{t('push.emailHint', { email: me.email })}</p>
      <StatusText text={message} />
      <ErrorText error={error} />
    </div>
  );
}
