/** My subscription: free or Premium, when it renews or ends; cancel at the period's end (confirmed). */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Loading } from '../../components/Loading.tsx';
import { useSubscription } from '../../subscription.ts';
import { date } from '../../format.ts';

export function CurrentPlan() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const sub = useSubscription();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const s = sub.data;
  if (s === undefined) return sub.error !== null ? <ErrorText error={sub.error} /> : <Loading />;
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
