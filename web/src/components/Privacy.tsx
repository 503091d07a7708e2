/** Privacy: who viewed my record (the access log), export my data. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, authedFetch, must } from '../api/client.ts';
import { date } from '../format.ts';
import { ErrorText } from './Field.tsx';

function actionKind(action: string): 'viewed' | 'added' | 'changed' | 'removed' | 'other' {
  if (action.startsWith('read') || action.startsWith('export')) return 'viewed';
  if (action === 'insert') return 'added';
  if (action === 'update') return 'changed';
  if (action === 'delete') return 'removed';
  return 'other';
}

export function Privacy() {
  const { t, i18n } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const log = useQuery({ queryKey: ['access-log'], queryFn: async () => must(await api.GET('/api/v1/me/access-log')) });

  async function exportData() {
    setError(null);
    try {
      const res = await authedFetch(new Request('/api/v1/me/export'));
      if (!res.ok) throw new Error(res.statusText);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = 'dastern-export.json';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    }
  }

  const items = (log.data?.items ?? []).slice(0, 20);
  return (
    <div className="card">
      <h2>{t('privacy.title')}</h2>
      <button type="button" onClick={() => void exportData()}>
        {t('privacy.export')}
      </button>
      <ErrorText error={error} />
      <h3>{t('privacy.viewedBy')}</h3>
      {log.isSuccess && items.length === 0 ? <p className="muted">{t('privacy.none')}</p> : null}
      <ul className="list">
        {items.map((e) => (
          <li key={e.seq}>
            {e.actor_name ?? t('privacy.system')}
            {e.actor_role !== null && i18n.exists(`role.${e.actor_role}`)
              ? ` (${t(`role.${e.actor_role}`)})`
              : ''} · {t(`privacy.action.${actionKind(e.action)}`)}
            <div className="muted">{date(e.created_at, i18n.language, t)}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}
