/** Accepting a doctor's invitation code: who invites is shown first, with what he may do (her choice). */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText, Field } from '../../components/Field.tsx';

type Preview = GetOk<'/api/v1/care/invitations/{code}'>;
type Permissions = Record<(typeof PERMISSIONS)[number], boolean>;
const PERMISSIONS = ['can_view_prescriptions', 'can_add_notes', 'can_modify_reminders'] as const;

function InvitationPreview({
  preview,
  permissions,
  onPermissions,
  onAccept,
}: {
  preview: Preview;
  permissions: Permissions;
  onPermissions: (p: Permissions) => void;
  onAccept: () => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="note" role="status">
      <p>
        {t('doctors.invitedBy', {
          name: `${preview.inviter.first_name} ${preview.inviter.last_name}`,
          hospital: preview.inviter.hospital_name ?? '',
        })}
      </p>
      {preview.inviter.verification === 'not verified' ? <p className="warning">{t('doctors.notVerified')}</p> : null}
      {PERMISSIONS.map((p) => (
        <label key={p} className="check">
          <input
            type="checkbox"
            checked={permissions[p]}
            onChange={(e) => onPermissions({ ...permissions, [p]: e.currentTarget.checked })}
          />
          {t(`doctors.permission.${p}`)}
        </label>
      ))}
      <button type="button" className="primary" onClick={onAccept}>
        {t('doctors.accept')}
      </button>
    </div>
  );
}

export function InvitationForm() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  // What he may do is her choice, made here before accepting (nothing is granted by default).
  const [permissions, setPermissions] = useState<Permissions>({
    can_view_prescriptions: true,
    can_add_notes: true,
    can_modify_reminders: false,
  });

  async function look(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setPreview(must(await api.GET('/api/v1/care/invitations/{code}', { params: { path: { code: code.trim() } } })));
    } catch (err) {
      setError(err);
    }
  }
  async function accept() {
    setError(null);
    try {
      must(await api.POST('/api/v1/care/invitations/accept', { body: { code: code.trim(), permissions } }));
      setPreview(null);
      setCode('');
      await client.invalidateQueries({ queryKey: ['relationships'] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form className="card" onSubmit={look}>
      <Field
        label={t('doctors.code')}
        value={code}
        onChange={(e) => setCode(e.currentTarget.value)}
        required
        minLength={8}
        maxLength={40}
        autoCapitalize="characters"
      />
      <button>{t('doctors.check')}</button>
      {preview !== null ? (
        <InvitationPreview
          preview={preview}
          permissions={permissions}
          onPermissions={setPermissions}
          onAccept={() => void accept()}
        />
      ) : null}
      <ErrorText error={error} />
    </form>
  );
}
