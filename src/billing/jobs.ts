/**
 * Billing's pg-boss queues and workers ('system'):
 *   billing-bakong-poll  one job per KHQR payment: asks Bakong (check_transaction_by_md5) and
 *                        sends itself again after first·2^attempt seconds (capped) until the
 *                        payment is paid or expired
 *   billing-sweep        every minute: stale pending payments → expired (a KHQR one polled a
 *                        last time first); paid periods over → back to free (status expired, or
 *                        canceled when cancelled at period end; nothing deleted); renewal
 *                        reminders some days before the end (KHQR and one-off card payments:
 *                        a renewing card subscription needs nothing from her)
 *   billing-payment-mail one job per completed payment, queued in the completing transaction:
 *                        its e-mail (mail.ts), retried by the queue when SMTP fails
 * Payloads carry ids only.
 */
import type PgBoss from 'pg-boss';
import type { Database, Tx } from '../db/database.ts';
import { loadConfig, type BillingConfig, type Config, type GatewayName } from '../config.ts';
import type { Logger } from '../log.ts';
import type { PaymentGateway } from './gateways/gateway.ts';
import { buildGateways } from './gateways/index.ts';
import { processEvent, type ConfirmDeps } from './confirm.ts';
import type { Mailer } from '../mail/mailer.ts';
import { configuredMailer } from '../mail/configured.ts';
import { sendPaymentMail } from './mail.ts';
import * as q from './queries.ts';
import { ensureQueues } from '../jobs/ensure-queues.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';

export const BILLING_QUEUES = {
  bakongPoll: 'billing-bakong-poll',
  sweep: 'billing-sweep',
  paymentMail: 'billing-payment-mail',
} as const;

const QUEUE_OPTIONS: Record<string, Omit<PgBoss.Queue, 'name'>> = {
  [BILLING_QUEUES.bakongPoll]: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 60 },
  [BILLING_QUEUES.sweep]: { retryLimit: 0, expireInSeconds: 300, policy: 'singleton' },
  [BILLING_QUEUES.paymentMail]: { retryLimit: 8, retryDelay: 30, retryBackoff: true, expireInSeconds: 120 },
};

const SYSTEM = { userId: null, role: 'system' } as const;
const TZ = HOME_TIMEZONE;

interface PollData {
  paymentId: string;
  attempt: number;
}

/** As the owner (inside installQueues): create or update billing's queues. */
export async function installBillingQueues(boss: PgBoss): Promise<void> {
  await ensureQueues(boss, QUEUE_OPTIONS);
}

/** Queues a Bakong poll inside the caller's transaction (it exists only if that commits). */
export function bakongPollEnqueuer(boss: PgBoss): (tx: Tx, paymentId: string, delaySeconds: number) => Promise<void> {
  return async (tx, paymentId, delaySeconds) => {
    const data: PollData = { paymentId, attempt: 0 };
    await boss.send(BILLING_QUEUES.bakongPoll, data, {
      startAfter: delaySeconds,
      db: { executeSql: async (text: string, values: unknown[]) => tx.query(text, values) },
    });
  };
}

/** Queues a completed payment's e-mail inside the caller's transaction (once per payment). */
export function paymentMailEnqueuer(boss: PgBoss): (tx: Tx, paymentId: string) => Promise<void> {
  return async (tx, paymentId) => {
    await boss.send(
      BILLING_QUEUES.paymentMail,
      { paymentId },
      {
        singletonKey: paymentId,
        db: { executeSql: async (text: string, values: unknown[]) => tx.query(text, values) },
      },
    );
  };
}

export interface BillingJobDeps {
  db: Database;
  logger: Logger;
  config: BillingConfig;
  gateways: ReadonlyMap<GatewayName, PaymentGateway>;
  enqueueMail?: ((tx: Tx, paymentId: string) => Promise<void>) | undefined;
}

const confirmDeps = (d: BillingJobDeps): ConfirmDeps => ({
  db: d.db,
  logger: d.logger,
  seller: d.config.seller,
  enqueueMail: d.enqueueMail,
});

/** One poll of one KHQR payment; returns the delay before the next one, or null when done. */
export async function pollBakongPayment(d: BillingJobDeps, data: PollData, now = new Date()): Promise<number | null> {
  const gateway = d.gateways.get('bakong');
  const p = await d.db.withUser(SYSTEM, (tx) => q.findPayment(tx, data.paymentId));
  if (
    !gateway?.poll ||
    p === null ||
    p.status !== 'pending' ||
    p.provider !== 'bakong' ||
    p.provider_reference === null
  )
    return null;
  const event = await gateway.poll({ id: p.id, providerReference: p.provider_reference });
  if (event !== null) {
    const outcome = await processEvent(confirmDeps(d), 'bakong', event);
    d.logger.info({ paymentId: p.id, outcome, attempt: data.attempt }, 'bakong payment found');
    return null;
  }
  if (p.expires_at !== null && p.expires_at <= now) {
    await processEvent(confirmDeps(d), 'bakong', {
      eventId: `bakong_expired_${p.id}`,
      kind: 'expired',
      type: 'khqr.expired',
      paymentId: p.id,
      reason: 'not paid in time',
    });
    return null;
  }
  return Math.min(
    d.config.bakong.pollFirstSeconds * 2 ** Math.min(data.attempt + 1, 20),
    d.config.bakong.pollMaxSeconds,
  );
}

export interface SweepResult {
  expired: number;
  completedLate: number;
  ended: number;
  reminded: number;
}

export async function runBillingSweep(d: BillingJobDeps, now = new Date()): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, completedLate: 0, ended: 0, reminded: 0 };
  const stale = await d.db.withUser(SYSTEM, (tx) => q.stalePending(tx, now, 500));
  for (const p of stale) {
    const gateway = d.gateways.get(p.provider as GatewayName);
    if (p.provider === 'bakong' && gateway?.poll && p.provider_reference !== null) {
      try {
        const event = await gateway.poll({ id: p.id, providerReference: p.provider_reference });
        if (event !== null && (await processEvent(confirmDeps(d), 'bakong', event)) === 'completed') {
          result.completedLate += 1;
          continue;
        }
      } catch (err) {
        d.logger.warn({ err, paymentId: p.id }, 'last Bakong check before expiry failed; expiring anyway');
      }
    }
    const done = await d.db.withUser(SYSTEM, (tx) =>
      q.transition(tx, p.id, { from: ['pending'], to: 'expired', source: 'job', reason: 'not paid in time' }),
    );
    if (done) result.expired += 1;
  }
  await d.db.withUser(SYSTEM, async (tx) => {
    for (const s of await q.endLapsedSubscriptions(tx, now)) {
      result.ended += 1;
      await q.notify(
        tx,
        s.user_id,
        'subscription_ended',
        { kind: 'subscription_ended', subscription_id: s.id },
        `subscription:${s.id}:ended:${s.current_period_end.toISOString()}`,
      );
    }
    for (const s of await q.claimRenewalReminders(tx, now, d.config.renewalReminderDays)) {
      result.reminded += 1;
      await q.notify(
        tx,
        s.user_id,
        'renewal_reminder',
        { kind: 'renewal_reminder', subscription_id: s.id, until: s.current_period_end.toISOString().slice(0, 10) },
        `subscription:${s.id}:reminder:${s.current_period_end.toISOString()}`,
      );
    }
  });
  return result;
}

/** Registers billing's workers and its every-minute sweep (called where the other workers start). */
export async function startBillingWorkers(
  d: { boss: PgBoss; db: Database; logger: Logger; mailer?: Mailer | undefined },
  config: Config = loadConfig(),
): Promise<void> {
  const deps: BillingJobDeps = {
    db: d.db,
    logger: d.logger,
    config: config.billing,
    gateways: buildGateways(config),
    enqueueMail: paymentMailEnqueuer(d.boss),
  };
  await d.boss.work<PollData>(BILLING_QUEUES.bakongPoll, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return;
    const next = await pollBakongPayment(deps, job.data);
    if (next !== null)
      await d.boss.send(
        BILLING_QUEUES.bakongPoll,
        { paymentId: job.data.paymentId, attempt: job.data.attempt + 1 },
        { startAfter: next },
      );
  });
  await d.boss.schedule(BILLING_QUEUES.sweep, '* * * * *', {}, { tz: TZ });
  await d.boss.work(BILLING_QUEUES.sweep, { pollingIntervalSeconds: 2 }, async () => {
    const r = await runBillingSweep(deps);
    if (r.expired + r.completedLate + r.ended + r.reminded > 0) d.logger.info(r, 'billing sweep');
  });
  const mailer = d.mailer ?? configuredMailer(config, d.logger);
  await d.boss.work<{ paymentId: string }>(
    BILLING_QUEUES.paymentMail,
    { batchSize: 1, pollingIntervalSeconds: 1 },
    async ([job]) => {
      if (!job) return;
      const sent = await sendPaymentMail({ db: d.db, mailer, publicUrl: config.api.publicUrl }, job.data.paymentId);
      d.logger.info({ job: BILLING_QUEUES.paymentMail, paymentId: job.data.paymentId, sent }, 'payment e-mail');
    },
  );
}
