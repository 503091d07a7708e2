/** My doctors: accept an invitation code (who invites is shown first), see and end relationships. */
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { NotesList } from '../../components/Notes.tsx';
import { InvitationForm } from './Invitation.tsx';

type Relationship = GetOk<'/api/v1/care/relationships'>['items'][number];

function personName(r: Relationship): string {
  if (r.doctor !== null) return `${r.doctor.first_name ?? ''} ${r.doctor.last_name ?? ''}`;
  if (r.patient !== null) return `${r.patient.first_name ?? ''} ${r.patient.last_name ?? ''}`;
  return '';
}

function RelationshipItem({ r }: { r: Relationship }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  return (
    <li>
      <strong>{personName(r)}</strong>
      <span className="muted"> · {t(`relationship.${r.status}`)}</span>
      {r.status === 'active' ? (
        <button
          type="button"
          className="danger"
          onClick={async () => {
            must(
              await api.POST('/api/v1/care/relationships/{id}/end', {
                params: { path: { id: r.id } },
                body: { reason: 'ended by the patient in the app' },
              }),
            );
            await client.invalidateQueries({ queryKey: ['relationships'] });
          }}
        >
          {t('doctors.end')}
        </button>
      ) : null}
    </li>
  );
}

export function Doctors() {
  const { t } = useTranslation();
  const rel = useQuery({
    queryKey: ['relationships'],
    queryFn: async () => must(await api.GET('/api/v1/care/relationships')),
  });
  return (
    <section>
      <h1>{t('doctors.title')}</h1>
      <InvitationForm />
      <ul className="list">
        {(rel.data?.items ?? []).map((r) => (
          <RelationshipItem key={r.id} r={r} />
        ))}
      </ul>
      <NotesList />
    </section>
  );
}
