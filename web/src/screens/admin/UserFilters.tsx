/** Finding users: by name or e-mail, by role, or the doctors still to verify (all in the page's address). */
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ToggleButton } from '../../components/ToggleButton.tsx';

export type Role = 'patient' | 'doctor' | 'admin';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'admin'];

/** The filters as the address holds them. */
export function useUserFilters() {
  const [params, setParams] = useSearchParams();
  return {
    params,
    setParams,
    role: ROLES.find((r) => r === params.get('role')),
    search: params.get('q') ?? '',
    unverified: params.get('unverified') === '1',
  };
}

export function UserFilters() {
  const { t } = useTranslation();
  const { params, setParams, role, search, unverified } = useUserFilters();
  const [text, setText] = useState(search);
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
        <ToggleButton on={role === undefined && !unverified} onClick={() => setFilter(undefined)}>
          {t('users.all')}
        </ToggleButton>
        {ROLES.map((r) => (
          <ToggleButton key={r} on={role === r && !unverified} onClick={() => setFilter(r)}>
            {t(`role.${r}`)}
          </ToggleButton>
        ))}
        <ToggleButton on={unverified} onClick={() => setFilter('doctor', true)}>
          {t('users.unverified')}
        </ToggleButton>
      </div>
    </form>
  );
}
