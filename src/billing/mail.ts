/**
 * The e-mail sent when a payment completes: queued (pg-boss `billing-payment-mail`, payload the
 * payment id) inside the transaction that completes it, so it exists only if the payment does and
 * goes out within seconds, retried by the queue when SMTP fails. Text in the payer's language
 * (the catalogue's mail.payment.*): amount, plan, Premium's end, the receipt number and where to
 * find the receipt. No medical data in it.
 */
import type { Database } from '../db/database.ts';
import { languageOf, t } from '../i18n/index.ts';
import type { Mailer, MailMessage } from '../mail/mailer.ts';
import { formatMoney, isCurrency } from './money.ts';
import * as q from './queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;

interface MailFacts {
  email: string;
  language: string | null;
  amount_minor: number;
  currency: string;
  receipt_number: string | null;
  plan_name: string | null;
  period_end: Date | null;
  status: string;
}

export async function paymentMailFacts(db: Database, paymentId: string): Promise<MailFacts | null> {
  return db.withUser(SYSTEM, (tx) => q.paymentMailFacts<MailFacts>(tx, paymentId));
}

export function paymentMail(f: MailFacts, publicUrl: string): MailMessage {
  const lang = languageOf(f.language);
  const amount = isCurrency(f.currency) ? formatMoney(f.amount_minor, f.currency) : `${f.amount_minor} ${f.currency}`;
  const until = f.period_end === null ? '—' : f.period_end.toISOString().slice(0, 10);
  return {
    to: f.email,
    subject: t(lang, 'mail.payment.subject', { receipt: f.receipt_number ?? '' }),
    text: [
      t(lang, 'mail.payment.intro', { amount, plan: f.plan_name ?? 'Premium' }),
      t(lang, 'mail.payment.until', { until }),
      t(lang, 'mail.payment.receipt', { receipt: f.receipt_number ?? '' }),
      '',
      `${publicUrl}/plans`,
      '',
      t(lang, 'mail.payment.thanks'),
    ].join('\n'),
  };
}

/** Sends one completed payment's e-mail; false when there is nothing to send (erased payer, refunded meanwhile). */
export async function sendPaymentMail(
  d: { db: Database; mailer: Mailer; publicUrl: string },
  paymentId: string,
): Promise<boolean> {
  const facts = await paymentMailFacts(d.db, paymentId);
  if (facts === null || facts.status !== 'completed') return false;
  await d.mailer.send(paymentMail(facts, d.publicUrl));
  return true;
}
