/**
 * One payment (/plans/payments/:id): while pending, the KHQR to scan (or the card page's link,
 * or the sandbox's "paid" button in development), its status polled; then the success screen
 * with the receipt, or what went wrong. /billing/return (the card gateway's way back) lands here.
 */
import { useEffect } from 'react';
import { Navigate, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Loading } from '../../components/Loading.tsx';
import { money } from '../../money.ts';
import { PaymentDone, PaymentFailed, PaymentPending } from './PaymentStates.tsx';

const POLL_MS = 2000;

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
  const { i18n } = useTranslation();
  const client = useQueryClient();
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
  if (p === undefined) return <Loading />;
  const amount = money(p.amount, p.currency, i18n.language);
  if (p.status === 'completed') return <PaymentDone id={id} amount={amount} />;
  if (p.status !== 'pending') return <PaymentFailed status={p.status} />;
  return <PaymentPending id={id} p={p} amount={amount} />;
}
