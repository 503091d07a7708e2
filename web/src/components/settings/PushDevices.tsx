/** My browsers registered for Web Push, this one marked, each with remove. */
import { useTranslation } from 'react-i18next';
import type { GetOk } from '../../api/client.ts';
import { date } from '../../format.ts';
import { browserOf } from './Sessions.tsx';

export type PushDevice = GetOk<'/api/v1/me/push-subscriptions'>['items'][number];

export function PushDevices({
  items,
  loaded,
  mine,
  busy,
  onRemove,
}: {
  items: PushDevice[];
  loaded: boolean;
  /** this browser's push endpoint, when it has one */
  mine: string | null;
  busy: boolean;
  onRemove: (d: PushDevice) => void;
}) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <h3>{t('push.devices')}</h3>
      {loaded && items.length === 0 ? <p className="muted">{t('push.noDevices')}</p> : null}
      <ul className="list" data-testid="push-devices">
        {items.map((d) => (
          <li key={d.id}>
            <strong>{browserOf(d.user_agent) ?? t('push.unknownDevice')}</strong>
            {d.endpoint === mine ? ` · ${t('push.thisDevice')}` : ''}
            <div className="muted">
              {t('push.since', { date: date(d.created_at, i18n.language) })}
              {d.disabled_at !== null ? ` · ${t('push.disabled')}` : ''}
            </div>
            <button type="button" disabled={busy} onClick={() => onRemove(d)}>
              {t('push.remove')}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
