/** Notifications: newest first, unread marked; /notifications/:id (the e-mail and push link) opens one and marks it read. */
import { useEffect } from 'react';
import { useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../api/client.ts';
import { date } from '../format.ts';

export function Notifications() {
  const { id } = useParams();
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ['notifications'],
    queryFn: async () => must(await api.GET('/api/v1/notifications', { params: { query: { limit: 50 } } })),
  }); // refreshed by the live stream

  useEffect(() => {
    if (id === undefined) return;
    void api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } }).then(() => {
      void client.invalidateQueries({ queryKey: ['notifications'] });
      void client.invalidateQueries({ queryKey: ['unread'] });
    });
  }, [id, client]);

  async function readAll() {
    must(await api.POST('/api/v1/notifications/read-all'));
    await client.invalidateQueries({ queryKey: ['notifications'] });
    await client.invalidateQueries({ queryKey: ['unread'] });
  }

  const items = q.data?.items ?? [];
  return (
    <section>
      <h1>{t('notifications.title')}</h1>
      <button type="button" onClick={() => void readAll()}>
        {t('notifications.readAll')}
      </button>
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('notifications.none')}</p> : null}
      <ul className="list">
        {items.map((n) => (
          <li key={n.id} className={n.read_at === null ? 'unread' : ''} aria-current={n.id === id ? 'true' : undefined}>
            <strong>{n.title}</strong>
            <div>{n.body}</div>
            <div className="muted">
              {date(n.created_at, i18n.language, t)}
              {n.read_at === null ? ` · ${t('notifications.unread')}` : ''}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
