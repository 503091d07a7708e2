/** What an admin may do to one account: verify a doctor, deactivate with a reason, activate again. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';

export type User = GetOk<'/api/v1/admin/users'>['items'][number];

/** The reason asked before deactivating; `reason` is what is typed so far. */
function DeactivateForm({
  u,
  reason,
  onReason,
  onDeactivate,
}: {
  u: User;
  reason: string;
  onReason: (reason: string | null) => void;
  onDeactivate: () => void;
}) {
  const { t } = useTranslation();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onDeactivate();
      }}
    >
      <label htmlFor={`reason-${u.id}`}>{t('users.reason')}</label>
      <input
        id={`reason-${u.id}`}
        value={reason}
        maxLength={500}
        required
        onChange={(e) => onReason(e.currentTarget.value)}
      />
      <button className="danger" disabled={reason.trim() === ''}>
        {t('users.deactivateConfirm')}
      </button>
      <button type="button" onClick={() => onReason(null)}>
        {t('users.keep')}
      </button>
    </form>
  );
}

const verify = async (u: User) =>
  must(
    await api.POST('/api/v1/admin/doctors/{id}/verify', {
      params: { path: { id: u.id } },
      body: u.license_number !== null ? { license_number: u.license_number } : {},
    }),
  );
const activate = async (u: User) =>
  must(await api.POST('/api/v1/admin/users/{id}/activate', { params: { path: { id: u.id } } }));
const deactivate = async (u: User, reason: string) =>
  must(
    await api.POST('/api/v1/admin/users/{id}/deactivate', {
      params: { path: { id: u.id } },
      body: { reason: reason.trim() },
    }),
  );

export function Actions({ u, onChanged }: { u: User; onChanged: () => Promise<void> }) {
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
          onClick={() => void run(() => verify(u))}
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
          onClick={() => void run(() => activate(u))}
        >
          {t('users.activate')}
        </button>
      ) : null}
      {reason !== null ? (
        <DeactivateForm
          u={u}
          reason={reason}
          onReason={setReason}
          onDeactivate={() => void run(() => deactivate(u, reason))}
        />
      ) : null}
      <ErrorText error={error} />
    </div>
  );
}
