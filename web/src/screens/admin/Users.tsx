/**
 * Admin: find users (name or e-mail, role), deactivate with a reason or activate again, and
 * verify a doctor's licence (until then he cannot invite patients).
 */
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { date } from '../../format.ts';
import { AdminTabs } from './AdminTabs.tsx';
import { Actions, type User } from './UserActions.tsx';
import { UserFilters, useUserFilters } from './UserFilters.tsx';

function UserRow({ u, onChanged }: { u: User; onChanged: () => Promise<void> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li data-testid="user" className={u.is_active ? '' : 'inactive'}>
      <div>
        <strong>
          {u.first_name} {u.last_name}
        </strong>{' '}
        · {t(`role.${u.role === 'doctor' || u.role === 'admin' ? u.role : 'patient'}`)}
        {!u.is_active ? <span className="pill bad">{t('users.inactive')}</span> : null}
        <div className="muted">
          {u.email} · {u.email_verified ? t('users.emailOk') : t('users.emailNo')} ·{' '}
          {t('users.since', { date: date(u.created_at, lang, t) })}
        </div>
        {u.role === 'doctor' ? (
          <div className={u.doctor_verified_at === null ? 'warning' : 'ok'}>
            {t('users.licence', { number: u.license_number ?? '—' })} ·{' '}
            {u.doctor_verified_at === null
              ? t('users.notVerified')
              : t('users.verifiedOn', { date: date(u.doctor_verified_at, lang, t) })}
          </div>
        ) : null}
      </div>
      <Actions u={u} onChanged={onChanged} />
    </li>
  );
}

export default function Users() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { role, search, unverified } = useUserFilters();
  const q = useQuery({
    queryKey: ['admin-users', search, role ?? 'all'],
    queryFn: async () =>
      must(
        await api.GET('/api/v1/admin/users', {
          params: {
            query: { limit: 100, ...(search !== '' ? { q: search } : {}), ...(role !== undefined ? { role } : {}) },
          },
        }),
      ),
  });
  const items = (q.data?.items ?? []).filter(
    (u) => !unverified || (u.role === 'doctor' && u.doctor_verified_at === null),
  );

  return (
    <section>
      <h1>{t('users.title')}</h1>
      <AdminTabs />
      <UserFilters />
      {q.error !== null ? <ErrorText error={q.error} /> : null}
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('users.none')}</p> : null}
      <ul className="list users">
        {items.map((u) => (
          <UserRow key={u.id} u={u} onChanged={() => client.invalidateQueries({ queryKey: ['admin-users'] })} />
        ))}
      </ul>
    </section>
  );
}
