/** Today: my doses by slot, take / skip / snooze in one tap (queued when offline), next dose countdown. */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { Loading } from '../../components/Loading.tsx';
import { digits, time } from '../../format.ts';
import { SLOTS } from '../../slots.ts';
import { enqueue, flush, pending, send, type DoseAction } from '../../offline-queue.ts';
import { DoseItem, type Dose } from './DoseItem.tsx';

function Countdown({ doses }: { doses: Dose[] }) {
  const { t, i18n } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const next = doses
    .filter((d) => (d.status === 'upcoming' || d.status === 'pending') && Date.parse(d.scheduled_for) > now)
    .sort((a, b) => Date.parse(a.scheduled_for) - Date.parse(b.scheduled_for))[0];
  if (next === undefined) return null;
  const minutes = Math.max(0, Math.round((Date.parse(next.scheduled_for) - now) / 60_000));
  return (
    <p className="countdown" role="status">
      {t('today.next', {
        name: next.name,
        hours: digits(Math.floor(minutes / 60), i18n.language),
        minutes: digits(minutes % 60, i18n.language),
      })}
    </p>
  );
}

/** Take / skip / later: sent at once when online, else queued here and sent when the browser is back online. */
function useDoseActions() {
  const client = useQueryClient();
  const [queued, setQueued] = useState(() => pending());
  useEffect(() => {
    const online = () =>
      void flush().then(() => {
        setQueued(pending());
        void client.invalidateQueries({ queryKey: ['today'] });
        void client.invalidateQueries({ queryKey: ['adherence'] });
      });
    window.addEventListener('online', online);
    if (navigator.onLine) online();
    return () => window.removeEventListener('online', online);
  }, [client]);

  async function act(d: Dose, status: DoseAction['status']) {
    const a: DoseAction = {
      reminderId: d.reminder_id,
      scheduledFor: d.scheduled_for,
      status,
      at: new Date().toISOString(),
    };
    if (!navigator.onLine || !(await send(a))) {
      enqueue(a);
      setQueued(pending());
      return;
    }
    await client.invalidateQueries({ queryKey: ['today'] });
    void client.invalidateQueries({ queryKey: ['adherence'] });
  }
  const statusOf = (d: Dose) =>
    queued.find((q) => q.reminderId === d.reminder_id && q.scheduledFor === d.scheduled_for)?.status ?? d.status;
  return { queued, act, statusOf };
}

export function Today() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const today = useQuery({
    queryKey: ['today'],
    queryFn: async () => must(await api.GET('/api/v1/reminders/today')),
    refetchInterval: 60_000,
  });
  const { queued, act, statusOf } = useDoseActions();
  const items = today.data?.items ?? [];

  return (
    <section>
      <h1>{t('today.title')}</h1>
      {queued.length > 0 ? (
        <p className="note" role="status">
          {t('today.queued', { n: digits(queued.length, lang) })}
        </p>
      ) : null}
      <Countdown doses={items} />
      {today.isPending ? <Loading /> : null}
      {today.isSuccess && items.length === 0 ? (
        <div className="card">
          <p>{t('today.none')}</p>
          <Link className="button primary" to="/scan">
            {t('nav.scan')}
          </Link>
        </div>
      ) : null}
      {SLOTS.map((slot) => {
        const doses = items.filter((d) => d.slot === slot);
        if (doses.length === 0) return null;
        return (
          <div key={slot} className="slot">
            <h2>
              {t(`slot.${slot}`)} <span className="muted">{time(doses[0]?.time ?? '', lang)}</span>
            </h2>
            <ul className="doses">
              {doses.map((d) => (
                <DoseItem
                  key={`${d.reminder_id}-${d.scheduled_for}`}
                  d={d}
                  status={statusOf(d)}
                  act={(dose, status) => void act(dose, status)}
                />
              ))}
            </ul>
          </div>
        );
      })}
      <p>
        <Link to="/medicines">{t('nav.medicines')}</Link> · <Link to="/prescriptions">{t('nav.prescriptions')}</Link> ·{' '}
        <Link to="/doctors">{t('nav.doctors')}</Link>
      </p>
    </section>
  );
}
