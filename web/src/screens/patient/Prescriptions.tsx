/** My prescriptions, newest first. */
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { date, digits } from '../../format.ts';

export function Prescriptions() {
  const { t, i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['prescriptions'],
    queryFn: async () => must(await api.GET('/api/v1/prescriptions', { params: { query: { limit: 50 } } })),
  });
  return (
    <section>
      <h1>{t('prescriptions.title')}</h1>
      <Link className="button primary" to="/scan">
        {t('nav.scan')}
      </Link>
      <ul className="list">
        {(q.data?.items ?? []).map((p) => (
          <li key={p.id}>
            <Link to={`/prescriptions/${p.id}`}>{p.hospital_name ?? t('prescriptions.untitled')}</Link>
            <div className="muted">
              {date(p.created_at, i18n.language, t)} · {t(`prescriptionStatus.${p.status}`)} ·{' '}
              {t('prescriptions.medicines', { n: digits(p.medication_count, i18n.language) })}
            </div>
            <div>{p.medications.map((m) => m.name).join(', ')}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
