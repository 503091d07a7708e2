/** My signed-in devices (GET /me/sessions): when each was last used; sign out any other one. */
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../Field.tsx';
import { useAction } from '../../hooks/useFormSubmit.ts';
import { date } from '../../format.ts';

/** "Chrome · Android" from a user agent; null when it names neither. */
export function browserOf(userAgent: string | null): string | null {
  if (userAgent === null) return null;
  const browser = /(Edg|Firefox|Chrome|Safari)\/[\d.]+/.exec(userAgent)?.[1]?.replace('Edg', 'Edge') ?? '';
  const os = /(Android|iPhone|iPad|Windows|Mac OS X|Linux)/.exec(userAgent)?.[1] ?? '';
  const name = [browser, os].filter((x) => x !== '').join(' · ');
  return name === '' ? null : name;
}

export function Sessions() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const q = useQuery({ queryKey: ['sessions'], queryFn: async () => must(await api.GET('/api/v1/me/sessions')) });
  const { busy, error, run } = useAction();
  return (
    <div className="card">
      <h2>{t('sessions.title')}</h2>
      <ul className="list" data-testid="sessions">
        {(q.data?.items ?? []).map((s) => (
          <li key={s.id}>
            <strong>{browserOf(s.user_agent) ?? t('push.unknownDevice')}</strong>
            {s.current ? ` · ${t('sessions.current')}` : ''}
            <div className="muted">
              {t('sessions.lastUsed', { date: date(s.last_used_at ?? s.created_at, i18n.language) })}
            </div>
            {!s.current ? (
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    const r = await api.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id: s.id } } });
                    if (!r.response.ok) must(r);
                    await client.invalidateQueries({ queryKey: ['sessions'] });
                  })
                }
              >
                {t('sessions.signOut')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
    </div>
  );
}
