/** Admin: revenue per month and currency, refunds, active subscriptions, churn, failed and expired payments; payment alerts. */
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { HBars } from '../../components/HBars.tsx';
import { date, digits } from '../../format.ts';
import { money } from '../../money.ts';
import { AdminTabs } from './AdminTabs.tsx';

export default function Billing() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const stats = useQuery({
    queryKey: ['admin-billing'],
    queryFn: async () => must(await api.GET('/api/v1/admin/billing/stats')),
  });
  const alerts = useQuery({
    queryKey: ['admin-billing-alerts'],
    queryFn: async () => must(await api.GET('/api/v1/admin/billing/alerts')),
  });
  const s = stats.data;
  const month = (ym: string) => {
    const [y, m] = ym.split('-');
    return digits(`${t(`month.${Number(m)}`)} ${y ?? ''}`, lang);
  };
  const currencies = [...new Set((s?.revenue ?? []).map((r) => r.currency))].sort();
  return (
    <section>
      <h1>{t('billing.title')}</h1>
      <AdminTabs />
      {stats.error !== null ? <ErrorText error={stats.error} /> : null}
      {s === undefined ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <>
          <div className="card stats" data-testid="billing-tiles">
            {(
              [
                ['billing.active', s.active_subscriptions],
                ['billing.churned', s.churned_last_30_days],
                ['billing.failed', s.failed_payments_last_30_days],
                ['billing.expired', s.expired_payments_last_30_days],
              ] as const
            ).map(([key, n]) => (
              <div key={key}>
                <span className="big-number">{digits(n, lang)}</span>
                <span>{t(key)}</span>
              </div>
            ))}
          </div>
          <h2>{t('billing.revenue')}</h2>
          {s.revenue.length === 0 ? (
            <p className="muted">{t('billing.noRevenue')}</p>
          ) : (
            currencies.map((c) => (
              <div key={c} className="card">
                <h3>{t(`plans.currency.${c === 'KHR' ? 'KHR' : 'USD'}`)}</h3>
                <HBars
                  label={`${t('billing.revenue')} — ${c}`}
                  rows={s.revenue
                    .filter((r) => r.currency === c)
                    .map((r) => ({
                      key: r.month,
                      label: month(r.month),
                      value: r.amount,
                      text: `${money(r.amount, c, lang)} · ${t('billing.payments', { n: digits(r.payments, lang) })}`,
                    }))}
                />
              </div>
            ))
          )}
          <h2>{t('billing.refunds')}</h2>
          {s.refunds.length === 0 ? (
            <p className="muted">{t('billing.noRefund')}</p>
          ) : (
            <ul className="list">
              {s.refunds.map((r) => (
                <li key={r.currency}>
                  {money(r.amount, r.currency, lang)} · {t('billing.refundCount', { n: digits(r.count, lang) })}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h2>{t('billing.alerts')}</h2>
      {alerts.isSuccess && alerts.data.items.length === 0 ? <p className="muted">{t('billing.noAlert')}</p> : null}
      <ul className="list">
        {(alerts.data?.items ?? []).map((a) => (
          <li key={a.id} className="warning">
            {date(a.created_at, lang, t)} · <code>{a.kind}</code>
            {a.gateway !== null ? ` · ${a.gateway}` : ''}
            {a.payment_id !== null ? ` · ${a.payment_id.slice(0, 8)}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
