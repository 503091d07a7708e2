/**
 * One payment (/plans/payments/:id): while pending, the KHQR to scan (or the card page's link,
 * or the sandbox's "paid" button in development), its status polled; then the success screen
 * with the receipt, or what went wrong. /billing/return (the card gateway's way back) lands here.
 */
import { useEffect, useState } from 'react';
import { Link, Navigate, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { fetchText } from '../../api/files.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Qr } from '../../components/Qr.tsx';
import { clock, date } from '../../format.ts';
import { money } from '../../money.ts';

const POLL_MS = 2000;

function Receipt({ id }: { id: string }) {
  const { t } = useTranslation();
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (html !== null) return <iframe className="receipt" title={t('payment.receipt')} srcDoc={html} sandbox="" />;
  return (
    <>
      <button type="button" onClick={() => fetchText(`/api/v1/payments/${id}/receipt`).then(setHtml, setError)}>
        {t('payment.showReceipt')}
      </button>
      <ErrorText error={error} />
    </>
  );
}

/** The card gateway's success_url: /billing/return?payment=<id>. What it proves is nothing: the page polls the payment. */
export function BillingReturn() {
  const [params] = useSearchParams();
  const id = params.get('payment') ?? '';
  return /^[0-9a-f-]{36}$/.test(id) ? (
    <Navigate to={`/plans/payments/${id}`} replace />
  ) : (
    <Navigate to="/plans" replace />
  );
}

export default function Payment() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const q = useQuery({
    queryKey: ['payment', id],
    queryFn: async () => must(await api.GET('/api/v1/payments/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? POLL_MS : false),
  });
  const p = q.data;
  const status = p?.status;
  useEffect(() => {
    // paid: the tier changed (the plans page and the Premium screens read it)
    if (status === 'completed') void client.invalidateQueries({ queryKey: ['subscription'] });
  }, [status, client]);
  if (q.error !== null) return <ErrorText error={q.error} />;
  if (p === undefined) return <p className="muted">{t('common.loading')}</p>;
  const amount = money(p.amount, p.currency, lang);

  async function sandboxPaid() {
    setBusy(true);
    setError(null);
    try {
      must(await api.POST('/api/v1/payments/sandbox/{id}/complete', { params: { path: { id } }, body: {} }));
      await client.invalidateQueries({ queryKey: ['payment', id] });
      await client.invalidateQueries({ queryKey: ['subscription'] });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (p.status === 'completed') {
    return (
      <section>
        <h1>{t('payment.doneTitle')}</h1>
        <div className="card" role="status" data-testid="payment-done">
          <p className="ok">{t('payment.done', { amount })}</p>
          <p>{t('payment.nowPremium')}</p>
          <div className="actions">
            <Link className="button primary" to="/assistant">
              {t('nav.assistant')}
            </Link>
            <Link className="button" to="/plans">
              {t('plans.title')}
            </Link>
          </div>
        </div>
        <Receipt id={id} />
      </section>
    );
  }
  if (p.status !== 'pending') {
    return (
      <section>
        <h1>{t('payment.title')}</h1>
        <div className="card">
          <p role="alert" className="error">
            {t(`payment.status.${p.status === 'refunded' || p.status === 'expired' ? p.status : 'failed'}`)}
          </p>
          <Link className="button primary" to="/plans">
            {t('payment.again')}
          </Link>
        </div>
      </section>
    );
  }
  return (
    <section>
      <h1>{t('payment.title')}</h1>
      <div className="card pay" data-testid="payment-pending">
        <p>
          <strong>{amount}</strong> ·{' '}
          {t(`plans.gateway.${p.gateway === 'bakong' || p.gateway === 'stripe' ? p.gateway : 'sandbox'}`)}
        </p>
        {p.khqr !== undefined ? (
          <>
            <p>{t('payment.scanKhqr')}</p>
            <Qr text={p.khqr} label={t('payment.qrLabel', { amount })} />
            <details>
              <summary>{t('payment.khqrText')}</summary>
              <code className="khqr" data-testid="khqr">
                {p.khqr}
              </code>
            </details>
          </>
        ) : null}
        {p.checkout_url !== undefined ? (
          <a className="button primary" href={p.checkout_url}>
            {t('payment.openCard')}
          </a>
        ) : null}
        {p.gateway === 'sandbox' ? (
          <>
            <p className="muted">{t('payment.sandboxHelp')}</p>
            <button type="button" className="primary" disabled={busy} onClick={() => void sandboxPaid()}>
              {t('payment.sandboxPay')}
            </button>
          </>
        ) : null}
        <p aria-live="polite" className="muted">
          <progress aria-label={t('payment.waiting')} /> {t('payment.waiting')}
          {p.expires_at !== null
            ? ` · ${t('payment.until', { time: clock(p.expires_at, Intl.DateTimeFormat().resolvedOptions().timeZone, lang), date: date(p.expires_at, lang, t) })}`
            : ''}
        </p>
        <ErrorText error={error} />
      </div>
    </section>
  );
}
