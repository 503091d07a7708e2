/** Admin: revenue per month and currency, refunds, active subscriptions, churn, failed and expired payments; payment alerts. */
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { HBars } from '../../components/HBars.tsx';
import { Loading } from '../../components/Loading.tsx';
import { StatTile } from '../../components/StatTile.tsx';
import { date, digits } from '../../format.ts';
import { money } from '../../money.ts';
import { AdminTabs } from './AdminTabs.tsx';

type BillingStats = GetOk<'/api/v1/admin/billing/stats'>;

/** Each currency's revenue per month, as labelled bars. */
function Revenue({ s }: { s: BillingStats }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const month = (ym: string) => {
    const [y, m] = ym.split('-');
    return digits(`${t(`month.${Number(m)}`)} ${y ?? ''}`, lang);
  };
  const currencies = [...new Set(s.revenue.map((r) => r.currency))].sort();
  if (s.revenue.length === 0) return <p className="muted">{t('billing.noRevenue')}</p>;
  return currencies.map((c) => (
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
  ));
}

function Figures({ s }: { s: BillingStats }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <>
      <div className="card stats" data-testid="billing-tiles">
        <StatTile value={digits(s.active_subscriptions, lang)} label={t('billing.active')} />
        <StatTile value={digits(s.churned_last_30_days, lang)} label={t('billing.churned')} />
        <StatTile value={digits(s.failed_payments_last_30_days, lang)} label={t('billing.failed')} />
        <StatTile value={digits(s.expired_payments_last_30_days, lang)} label={t('billing.expired')} />
      </div>
      <h2>{t('billing.revenue')}</h2>
      <Revenue s={s} />
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
  );
}

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
  return (
    <section>
      <h1>{t('billing.title')}</h1>
      <AdminTabs />
      {stats.error !== null ? <ErrorText error={stats.error} /> : null}
      {stats.data === undefined ? <Loading /> : <Figures s={stats.data} />}
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
