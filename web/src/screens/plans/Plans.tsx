/**
 * Plans and upgrade (/plans — where the 402 free-tier answers point): the plans with US-dollar
 * and riel prices, my current subscription (cancel at period end), and checkout by KHQR, card
 * (the gateway's page) or the sandbox (development). The payment itself: Payment.tsx.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { useSession } from '../../session.ts';
import { CurrentPlan } from './CurrentPlan.tsx';
import { PlanCard, type Currency, type Gateway, type Plan } from './PlanCard.tsx';

const GATEWAYS: readonly Gateway[] = ['bakong', 'stripe', 'sandbox'];

/** Starts a payment: the card gateway's page, or our page of the payment (KHQR, sandbox). */
function useCheckout(currency: Currency) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
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
  return { busy, error, checkout };
}

function CurrencyChoice({ currency, onChange }: { currency: Currency; onChange: (c: Currency) => void }) {
  const { t } = useTranslation();
  return (
    <fieldset className="choice">
      <legend>{t('plans.payIn')}</legend>
      {(['KHR', 'USD'] as const).map((c) => (
        <label key={c}>
          <input type="radio" name="currency" checked={currency === c} onChange={() => onChange(c)} />{' '}
          {t(`plans.currency.${c}`)}
        </label>
      ))}
    </fieldset>
  );
}

export default function Plans() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const plans = useQuery({ queryKey: ['plans'], queryFn: async () => must(await api.GET('/api/v1/plans')) });
  const [currency, setCurrency] = useState<Currency>(i18n.language === 'km' ? 'KHR' : 'USD');
  const { busy, error, checkout } = useCheckout(currency);
  const offered = GATEWAYS.filter((g) => plans.data?.gateways.includes(g) === true);
  const canBuy = session?.user.role === 'patient';

  return (
    <section>
      <h1>{t('plans.title')}</h1>
      {session !== null ? <CurrentPlan /> : null}
      {canBuy && offered.length > 0 ? <CurrencyChoice currency={currency} onChange={setCurrency} /> : null}
      <ErrorText error={error} />
      <div className="plans">
        {(plans.data?.items ?? []).map((p) => (
          <PlanCard
            key={p.code}
            p={p}
            canBuy={canBuy}
            offered={offered}
            currency={currency}
            busy={busy}
            onCheckout={(g) => void checkout(p, g)}
          />
        ))}
      </div>
      {plans.isSuccess && canBuy && offered.length === 0 ? <p className="note">{t('plans.noGateway')}</p> : null}
    </section>
  );
}
