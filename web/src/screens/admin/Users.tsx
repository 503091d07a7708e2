/**
 * Admin: find users (name or e-mail, role), deactivate with a reason or activate again, and
 * verify a doctor's licence (until then he cannot invite patients).
 */
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { date } from '../../format.ts';
import { AdminTabs } from './AdminTabs.tsx';

type User = GetOk<'/api/v1/admin/users'>['items'][number];
type Role = 'patient' | 'doctor' | 'admin';
const ROLES: readonly Role[] = ['patient', 'doctor', 'admin'];

function Actions({ u, onChanged }: { u: User; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const name = `${u.first_name} ${u.last_name}`;
  const run = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      setReason(null);
      await onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="row-actions">
      {u.role === 'doctor' && u.doctor_verified_at === null ? (
        <button
          type="button"
          className="primary"
          aria-label={t('users.verifyAria', { name })}
          onClick={() =>
            void run(async () =>
              must(
                await api.POST('/api/v1/admin/doctors/{id}/verify', {
                  params: { path: { id: u.id } },
                  body: u.license_number !== null ? { license_number: u.license_number } : {},
                }),
              ),
            )
          }
        >
          {t('users.verify')}
        </button>
      ) : null}
      {u.is_active && reason === null ? (
        <button
          type="button"
          className="danger"
          aria-label={t('users.deactivateAria', { name })}
          onClick={() => setReason('')}
        >
          {t('users.deactivate')}
        </button>
      ) : null}
      {!u.is_active ? (
        <button
          type="button"
          aria-label={t('users.activateAria', { name })}
          onClick={() =>
            void run(async () =>
              must(await api.POST('/api/v1/admin/users/{id}/activate', { params: { path: { id: u.id } } })),
            )
          }
        >
          {t('users.activate')}
        </button>
      ) : null}
      {reason !== null ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () =>
              must(
                await api.POST('/api/v1/admin/users/{id}/deactivate', {
                  params: { path: { id: u.id } },
                  body: { reason: reason.trim() },
                }),
              ),
            );
          }}
        >
          <label htmlFor={`reason-${u.id}`}>{t('users.reason')}</label>
          <input
            id={`reason-${u.id}`}
            value={reason}
            maxLength={500}
            required
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          <button className="danger" disabled={reason.trim() === ''}>
            {t('users.deactivateConfirm')}
          </button>
          <button type="button" onClick={() => setReason(null)}>
            {t('users.keep')}
          </button>
        </form>
      ) : null}
      <ErrorText error={error} />
    </div>
  );
}

export default function Users() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const role = ROLES.find((r) => r === params.get('role'));
  const search = params.get('q') ?? '';
  const unverified = params.get('unverified') === '1';
  const [text, setText] = useState(search);
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

  function find(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams(params);
    if (text.trim() === '') next.delete('q');
    else next.set('q', text.trim());
    setParams(next);
  }
  const setFilter = (r: Role | undefined, onlyUnverified = false) => {
    const next = new URLSearchParams(params);
    if (r === undefined) next.delete('role');
    else next.set('role', r);
    if (onlyUnverified) next.set('unverified', '1');
    else next.delete('unverified');
    setParams(next);
  };

  return (
    <section>
      <h1>{t('users.title')}</h1>
      <AdminTabs />
      <form className="card search" onSubmit={find} role="search">
        <label htmlFor="user-search">{t('users.search')}</label>
        <input
          id="user-search"
          type="search"
          value={text}
          maxLength={100}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <button className="primary">{t('users.find')}</button>
        <div className="langs" role="group" aria-label={t('users.role')}>
          <button
            type="button"
            className={role === undefined && !unverified ? 'lang on' : 'lang'}
            aria-pressed={role === undefined && !unverified}
            onClick={() => setFilter(undefined)}
          >
            {t('users.all')}
          </button>
          {ROLES.map((r) => (
            <button
              key={r}
              type="button"
              className={role === r && !unverified ? 'lang on' : 'lang'}
              aria-pressed={role === r && !unverified}
              onClick={() => setFilter(r)}
            >
              {t(`role.${r}`)}
            </button>
          ))}
          <button
            type="button"
            className={unverified ? 'lang on' : 'lang'}
            aria-pressed={unverified}
            onClick={() => setFilter('doctor', true)}
          >
            {t('users.unverified')}
          </button>
        </div>
      </form>
      {q.error !== null ? <ErrorText error={q.error} /> : null}
      {q.isSuccess && items.length === 0 ? <p className="muted">{t('users.none')}</p> : null}
      <ul className="list users">
        {items.map((u) => (
          <li key={u.id} data-testid="user" className={u.is_active ? '' : 'inactive'}>
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
            <Actions u={u} onChanged={() => client.invalidateQueries({ queryKey: ['admin-users'] })} />
          </li>
        ))}
      </ul>
    </section>
  );
}
