/** A payment's three pages: waiting (the KHQR, the card page's link or the sandbox's button), paid, and failed. */
import { useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { fetchText } from '../../api/files.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Qr } from '../../components/Qr.tsx';
import { clock, date } from '../../format.ts';
import { useAction } from '../../hooks/useFormSubmit.ts';

export type PaymentDetail = GetOk<'/api/v1/payments/{id}'>;

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

export function PaymentDone({ id, amount }: { id: string; amount: string }) {
  const { t } = useTranslation();
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

export function PaymentFailed({ status }: { status: PaymentDetail['status'] }) {
  const { t } = useTranslation();
  return (
    <section>
      <h1>{t('payment.title')}</h1>
      <div className="card">
        <p role="alert" className="error">
          {t(`payment.status.${status === 'refunded' || status === 'expired' ? status : 'failed'}`)}
        </p>
        <Link className="button primary" to="/plans">
          {t('payment.again')}
        </Link>
      </div>
    </section>
  );
}

function Khqr({ khqr, amount }: { khqr: string; amount: string }) {
  const { t } = useTranslation();
  return (
    <>
      <p>{t('payment.scanKhqr')}</p>
      <Qr text={khqr} label={t('payment.qrLabel', { amount })} />
      <details>
        <summary>{t('payment.khqrText')}</summary>
        <code className="khqr" data-testid="khqr">
          {khqr}
        </code>
      </details>
    </>
  );
}

export function PaymentPending({ id, p, amount }: { id: string; p: PaymentDetail; amount: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const client = useQueryClient();
  const { busy, error, run } = useAction();
  const sandboxPaid = () =>
    run(async () => {
      must(await api.POST('/api/v1/payments/sandbox/{id}/complete', { params: { path: { id } }, body: {} }));
      await client.invalidateQueries({ queryKey: ['payment', id] });
      await client.invalidateQueries({ queryKey: ['subscription'] });
    });
  return (
    <section>
      <h1>{t('payment.title')}</h1>
      <div className="card pay" data-testid="payment-pending">
        <p>
          <strong>{amount}</strong> ·{' '}
          {t(`plans.gateway.${p.gateway === 'bakong' || p.gateway === 'stripe' ? p.gateway : 'sandbox'}`)}
        </p>
        {p.khqr !== undefined ? <Khqr khqr={p.khqr} amount={amount} /> : null}
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
