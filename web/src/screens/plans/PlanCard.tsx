/** One plan: its name, US-dollar and riel prices, what it offers, and a checkout button per gateway offered. */
import { useTranslation } from 'react-i18next';
import type { GetOk } from '../../api/client.ts';
import { money } from '../../money.ts';

export type Plan = GetOk<'/api/v1/plans'>['items'][number];
export type Gateway = 'sandbox' | 'bakong' | 'stripe';
export type Currency = 'USD' | 'KHR';
/** The card gateway takes US dollars only; KHQR and the sandbox take both. */
const CURRENCIES: Record<Gateway, readonly Currency[]> = {
  bakong: ['KHR', 'USD'],
  stripe: ['USD'],
  sandbox: ['KHR', 'USD'],
};

function features(p: Plan): string[] {
  return Array.isArray(p.features) ? p.features.filter((f): f is string => typeof f === 'string') : [];
}

function Price({ p }: { p: Plan }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return p.tier === 'premium' ? (
    <p className="price">
      <span className="big-number">{money(p.price_usd, 'USD', lang)}</span>{' '}
      <span>{t(`plans.per.${p.interval === 'year' ? 'year' : 'month'}`)}</span>
      <br />
      <span className="muted">{t('plans.orRiel', { amount: money(p.price_khr, 'KHR', lang) })}</span>
    </p>
  ) : (
    <p className="price">
      <span className="big-number">{t('plans.free')}</span>
    </p>
  );
}

export function PlanCard({
  p,
  canBuy,
  offered,
  currency,
  busy,
  onCheckout,
}: {
  p: Plan;
  /** a patient may buy; staff only see the plans */
  canBuy: boolean;
  offered: readonly Gateway[];
  currency: Currency;
  busy: boolean;
  onCheckout: (gateway: Gateway) => void;
}) {
  const { t, i18n } = useTranslation();
  const name = i18n.exists(`plans.name.${p.code}`) ? t(`plans.name.${p.code}`) : p.name;
  return (
    <article className={p.tier === 'premium' ? 'card plan premium' : 'card plan'} data-testid={`plan-${p.code}`}>
      <h2>{name}</h2>
      <Price p={p} />
      <ul>
        {features(p)
          .filter((f) => i18n.exists(`plans.feature.${f}`))
          .map((f) => (
            <li key={f}>{t(`plans.feature.${f}`)}</li>
          ))}
        {p.tier === 'free' ? <li>{t('plans.freeLimit')}</li> : <li>{t('plans.unlimited')}</li>}
      </ul>
      {p.tier === 'premium' && canBuy ? (
        <div className="actions">
          {offered.map((g) => (
            <button
              key={g}
              type="button"
              className={g === 'sandbox' ? '' : 'primary'}
              disabled={busy || !CURRENCIES[g].includes(currency)}
              onClick={() => onCheckout(g)}
              aria-label={`${t(`plans.gateway.${g}`)} — ${name}`}
            >
              {t(`plans.gateway.${g}`)}
            </button>
          ))}
        </div>
      ) : null}
      {p.tier === 'premium' && canBuy && offered.includes('stripe') && currency !== 'USD' ? (
        <p className="muted">{t('plans.cardUsd')}</p>
      ) : null}
    </article>
  );
}
