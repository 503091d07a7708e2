/** Admin statistics: users, prescriptions, doses; prescriptions by status as labelled horizontal bars. */
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { digits, percent } from '../../format.ts';
import { HBars } from '../../components/HBars.tsx';
import { Loading } from '../../components/Loading.tsx';
import { StatTile } from '../../components/StatTile.tsx';
import { AdminTabs } from './AdminTabs.tsx';

export default function Stats() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const q = useQuery({
    queryKey: ['admin-stats'],
    queryFn: async () => must(await api.GET('/api/v1/admin/statistics')),
  });
  const u = q.data?.users[0];
  const p = q.data?.prescriptions[0];
  return (
    <section>
      <h1>{t('admin.title')}</h1>
      <AdminTabs />
      {u === undefined || p === undefined ? (
        <Loading />
      ) : (
        <>
          <div className="card stats">
            {(
              [
                ['admin.users', u.total_users],
                ['role.patient', u.patients],
                ['role.doctor', u.doctors],
                ['admin.verified', u.verified_users],
                ['admin.newUsers', u.new_users_last_30_days],
                ['admin.prescriptions', p.total_prescriptions],
                ['admin.reminders', p.active_reminders],
                ['admin.doses', p.doses_last_30_days],
              ] as [string, number][]
            ).map(([key, n]) => (
              <StatTile key={key} value={digits(n, lang)} label={t(key)} />
            ))}
            <StatTile value={percent(p.adherence_rate_last_30_days, lang)} label={t('admin.rate30')} />
          </div>
          <h2>{t('admin.byStatus')}</h2>
          <HBars
            label={t('admin.byStatus')}
            rows={(['pending', 'processing', 'ocr_completed', 'completed', 'error'] as const).map((s) => ({
              key: s,
              label: t(`prescriptionStatus.${s}`),
              value: p[s],
              text: digits(p[s], lang),
            }))}
          />
        </>
      )}
    </section>
  );
}
