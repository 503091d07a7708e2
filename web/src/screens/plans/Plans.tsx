/**
 * Plans and upgrade (/plans — where the 402 free-tier answers point): the plans with US-dollar
 * and riel prices, my current subscription (cancel at period end), and checkout by KHQR, card
 * (the gateway's page) or the sandbox (development). The payment itself: Payment.tsx.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { useSession } from '../../session.ts';
import { useSubscription } from '../../subscription.ts';
import { date } from '../../format.ts';
import { money } from '../../money.ts';

type Plan = GetOk<'/api/v1/plans'>['items'][number];
type Gateway = 'sandbox' | 'bakong' | 'stripe';
type Currency = 'USD' | 'KHR';
const GATEWAYS: readonly Gateway[] = ['bakong', 'stripe', 'sandbox'];
/** The card gateway takes US dollars only; KHQR and the sandbox take both. */
const CURRENCIES: Record<Gateway, readonly Currency[]> = {
  bakong: ['KHR', 'USD'],
  stripe: ['USD'],
  sandbox: ['KHR', 'USD'],
};

function features(p: Plan): string[] {
  return Array.isArray(p.features) ? p.features.filter((f): f is string => typeof f === 'string') : [];
}

function CurrentPlan() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const sub = useSubscription();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const s = sub.data;
  if (s === undefined)
    return sub.error !== null ? <ErrorText error={sub.error} /> : <p className="muted">{t('common.loading')}</p>;
  const end = s.current_period_end !== null ? date(s.current_period_end, i18n.language, t) : '';

  async function cancel() {
    setError(null);
    try {
      must(await api.POST('/api/v1/subscriptions/me/cancel', { body: {} }));
      setAsking(false);
      await client.invalidateQueries({ queryKey: ['subscription'] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div className="card" data-testid="current-plan">
      <h2>{t('plans.current')}</h2>
      {s.tier === 'free' ? (
        <p>{t('plans.onFree')}</p>
      ) : (
        <>
          <p className="ok">
            {t('plans.onPremium', {
              plan: t(`plans.name.${s.plan_code === 'premium_yearly' ? 'premium_yearly' : 'premium_monthly'}`),
            })}
          </p>
          <p>{s.cancel_at_period_end ? t('plans.endsOn', { date: end }) : t('plans.renewsOn', { date: end })}</p>
          {!s.cancel_at_period_end && !asking ? (
            <button type="button" onClick={() => setAsking(true)}>
              {t('plans.cancel')}
            </button>
          ) : null}
          {asking ? (
            <div className="note" role="group" aria-label={t('plans.cancel')}>
              <p>{t('plans.cancelExplain', { date: end })}</p>
              <button type="button" className="danger" onClick={() => void cancel()}>
                {t('plans.cancelConfirm')}
              </button>
              <button type="button" onClick={() => setAsking(false)}>
                {t('plans.keep')}
              </button>
            </div>
          ) : null}
        </>
      )}
      <ErrorText error={error} />
    </div>
  );
}

export default function Plans() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const navigate = useNavigate();
  const session = useSession();
  const plans = useQuery({ queryKey: ['plans'], queryFn: async () => must(await api.GET('/api/v1/plans')) });
  const [currency, setCurrency] = useState<Currency>(lang === 'km' ? 'KHR' : 'USD');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const offered = GATEWAYS.filter((g) => plans.data?.gateways.includes(g) === true);
  const canBuy = session?.user.role === 'patient';

  async function checkout(plan: Plan, gateway: Gateway) {
    setBusy(true);
    setError(null);
    try {
      const p = must(
        await api.POST('/api/v1/subscriptions/checkout', { body: { plan_code: plan.code, gateway, currency } }),
      );
      // The card page is the gateway's; the way back (/billing/return) leads to the payment's page.
      if (p.checkout_url !== undefined) window.location.assign(p.checkout_url);
      else navigate(`/plans/payments/${p.payment_id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>{t('plans.title')}</h1>
      {session !== null ? <CurrentPlan /> : null}
      {canBuy && offered.length > 0 ? (
        <fieldset className="choice">
          <legend>{t('plans.payIn')}</legend>
          {(['KHR', 'USD'] as const).map((c) => (
            <label key={c}>
              <input type="radio" name="currency" checked={currency === c} onChange={() => setCurrency(c)} />{' '}
              {t(`plans.currency.${c}`)}
            </label>
          ))}
        </fieldset>
      ) : null}
      <ErrorText error={error} />
      <div className="plans">
        {(plans.data?.items ?? []).map((p) => (
          <article
            key={p.code}
            className={p.tier === 'premium' ? 'card plan premium' : 'card plan'}
            data-testid={`plan-${p.code}`}
          >
            <h2>{i18n.exists(`plans.name.${p.code}`) ? t(`plans.name.${p.code}`) : p.name}</h2>
            {p.tier === 'premium' ? (
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
            )}
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
                    onClick={() => void checkout(p, g)}
                    aria-label={`${t(`plans.gateway.${g}`)} — ${i18n.exists(`plans.name.${p.code}`) ? t(`plans.name.${p.code}`) : p.name}`}
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
        ))}
      </div>
      {plans.isSuccess && canBuy && offered.length === 0 ? <p className="note">{t('plans.noGateway')}</p> : null}
    </section>
  );
}
