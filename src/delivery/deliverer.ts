/**
 * Delivery of notifications on the push and e-mail channels (in-app delivery is the row itself,
 * streamed by notifications/hub.ts). Runs as app.user_role 'system', from the
 * `notifications-deliver` queue (jobs of notification ids, sent by the dispatcher).
 *
 * One round over a batch of ids:
 *   claim     pending notifications with a push/e-mail channel, under a lease (a concurrent or
 *             retried round skips them), one attempt counted
 *   send      e-mail through the Mailer, Web Push to each active subscription of the user,
 *             a few at a time; one bad recipient never stops the others
 *   record    per-channel results in notifications.delivery, delivery_status / delivered_at /
 *             delivery_error; subscriptions answering 404/410 disabled
 * A channel that failed for a passing reason (SMTP 4xx or down, push 429/5xx or network) stays
 * `retry` and the notification `pending`; the queue retries the job and only that channel is
 * tried again. A channel already sent is never sent twice by this code; the push `topic` and the
 * service worker's `tag` (the notification id) collapse a duplicate that a crash between send
 * and record could still cause.
 */
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { Mailer } from '../mail/mailer.ts';
import { emailFor, languageOf, pushPayloadFor, type OutgoingNotification } from './messages.ts';
import type { PushOutcome, PushSender } from './push.ts';
import * as q from './queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;
const CHANNELS = ['email', 'push'] as const;
type Channel = (typeof CHANNELS)[number];
type ChannelResult =
  | { status: 'sent'; at: string; sent?: number; gone?: number; failed?: number }
  | { status: 'retry' | 'failed'; error: string; at: string }
  | { status: 'skipped'; reason: string; at: string };

export interface DelivererOptions {
  db: Database;
  mailer: Mailer;
  /** Web Push; undefined → the push channel is skipped (reason push_disabled). */
  push: PushSender | undefined;
  logger: Logger;
  /** Base URL of the web app, for the link in the message. */
  publicUrl: string;
  /** Sends in flight at once (default 8). */
  concurrency?: number;
  /** How long a claim keeps other rounds away (default 240 s, under the job's 300 s expiry). */
  leaseSeconds?: number;
  /** Older notifications are not sent any more (default 60 min): a late reminder misleads. */
  maxAgeMinutes?: number;
  /** After this many attempts a passing failure is final (default 6). */
  maxAttempts?: number;
  /** Refusals in a row (other than 404/410) before a subscription is disabled (default 5). */
  maxSubscriptionFailures?: number;
}

export interface DeliveryReport {
  inAppOnly: number;
  claimed: number;
  sent: number;
  failed: number;
  skipped: number;
  /** Notifications left pending for a retry (a passing failure on some channel). */
  retry: string[];
}

const ADDRESS = /[^\s<>@"]+@[^\s<>@"]+/g;
/** Error text for the row and the log: short, and without e-mail addresses. */
const clean = (s: string): string => s.replace(ADDRESS, '<address>').replace(/\s+/g, ' ').slice(0, 200);

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

function mailFailure(err: unknown): { transient: boolean; error: string } {
  const e = err as { responseCode?: unknown; code?: unknown; message?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  // SMTP 5xx is final, 4xx and no answer (connection refused, time-out) pass; an envelope
  // error without an SMTP code is an address nodemailer itself refused.
  const permanent = responseCode !== undefined ? responseCode >= 500 : e.code === 'EENVELOPE';
  return { transient: !permanent, error: clean(responseCode !== undefined ? `${responseCode} ${message}` : message) };
}

function previous(row: q.ClaimedRow, channel: Channel): ChannelResult | undefined {
  const v = row.delivery[channel] as { status?: unknown } | undefined;
  return v !== undefined && typeof v.status === 'string' ? (v as ChannelResult) : undefined;
}

export class Deliverer {
  constructor(private readonly o: DelivererOptions) {}

  async deliver(ids: readonly string[], options: { final?: boolean } = {}): Promise<DeliveryReport> {
    const o = this.o;
    const report: DeliveryReport = { inAppOnly: 0, claimed: 0, sent: 0, failed: 0, skipped: 0, retry: [] };
    if (ids.length === 0) return report;
    const { rows, subs } = await o.db.withUser(SYSTEM, async (tx) => {
      report.inAppOnly = await q.markInAppOnly(tx, ids);
      const claimed = await q.claim(tx, ids, o.leaseSeconds ?? 240);
      const pushUsers = [...new Set(claimed.filter((r) => r.channels.includes('push')).map((r) => r.user_id))];
      return { rows: claimed, subs: o.push === undefined ? [] : await q.activeSubscriptions(tx, pushUsers) };
    });
    report.claimed = rows.length;
    if (rows.length === 0) return report;

    const now = new Date();
    const at = now.toISOString();
    const maxAgeMs = (o.maxAgeMinutes ?? 60) * 60_000;
    const results = new Map<string, Partial<Record<Channel, ChannelResult>>>();
    const pushOutcomes = new Map<string, PushOutcome[]>();
    const subResults: q.SubscriptionResults = { succeeded: [], gone: [], failed: [] };
    const tasks: (() => Promise<void>)[] = [];

    for (const row of rows) {
      const out: Partial<Record<Channel, ChannelResult>> = {};
      results.set(row.id, out);
      const n: OutgoingNotification = {
        id: row.id,
        type: row.type,
        data: row.data,
        language: languageOf(row.language),
      };
      const common = !row.active
        ? 'inactive'
        : now.getTime() - row.created_at.getTime() > maxAgeMs
          ? 'expired'
          : row.dose_status !== null && row.dose_status !== 'pending' && row.dose_status !== 'snoozed'
            ? `dose_${row.dose_status}`
            : undefined;
      for (const channel of CHANNELS) {
        if (!row.channels.includes(channel)) continue;
        const before = previous(row, channel);
        if (before !== undefined && before.status !== 'retry') continue;
        if (common !== undefined) {
          out[channel] = { status: 'skipped', reason: common, at };
        } else if (channel === 'email') {
          if (!row.email_verified) {
            out.email = { status: 'skipped', reason: 'email_unverified', at };
            continue;
          }
          tasks.push(async () => {
            try {
              await o.mailer.send(emailFor(n, row.email, o.publicUrl));
              out.email = { status: 'sent', at };
            } catch (err) {
              const f = mailFailure(err);
              out.email = { status: f.transient ? 'retry' : 'failed', error: f.error, at };
            }
          });
        } else {
          const mine = subs.filter((s) => s.user_id === row.user_id);
          if (o.push === undefined || mine.length === 0) {
            out.push = { status: 'skipped', reason: o.push === undefined ? 'push_disabled' : 'no_subscription', at };
            continue;
          }
          const sender = o.push;
          const message = {
            payload: JSON.stringify(pushPayloadFor(n, o.publicUrl)),
            ttlSeconds: row.type === 'reminder' ? 30 * 60 : 24 * 3600,
            urgency: row.type === 'reminder' || row.type === 'missed_dose' ? ('high' as const) : ('normal' as const),
            topic: row.id.replace(/-/g, ''),
          };
          const outcomes: PushOutcome[] = [];
          pushOutcomes.set(row.id, outcomes);
          for (const sub of mine) {
            tasks.push(async () => {
              const outcome = await sender.send(sub, message).catch((err: unknown): PushOutcome => ({
                kind: 'failed',
                transient: true,
                status: null,
                error: clean(err instanceof Error ? err.message : String(err)),
              }));
              outcomes.push(outcome);
              (outcome.kind === 'sent'
                ? subResults.succeeded
                : outcome.kind === 'gone'
                  ? subResults.gone
                  : subResults.failed
              ).push(sub.id);
            });
          }
        }
      }
    }

    await mapLimit(tasks, o.concurrency ?? 8, (task) => task());

    const records: q.DeliveryRecord[] = [];
    for (const row of rows) {
      const out = results.get(row.id) ?? {};
      const final = options.final === true || row.delivery_attempts >= (o.maxAttempts ?? 6);
      const outcomes = pushOutcomes.get(row.id);
      if (outcomes !== undefined) out.push = summarisePush(outcomes, at);
      for (const channel of CHANNELS) {
        const r = out[channel];
        if (r?.status === 'retry' && final) out[channel] = { ...r, status: 'failed' };
      }
      const all = CHANNELS.filter((c) => row.channels.includes(c)).map((c) => out[c] ?? previous(row, c));
      const status = all.some((r) => r?.status === 'retry')
        ? 'pending'
        : all.some((r) => r?.status === 'sent')
          ? 'sent'
          : all.every((r) => r?.status === 'skipped')
            ? 'skipped'
            : 'failed';
      const errors = CHANNELS.flatMap((c) => {
        const r = out[c] ?? previous(row, c);
        return r !== undefined && (r.status === 'failed' || r.status === 'retry') ? [`${c}: ${r.error}`] : [];
      });
      records.push({
        id: row.id,
        status,
        delivery: out,
        error: errors.length > 0 ? errors.join('; ').slice(0, 500) : null,
      });
      if (status === 'pending') report.retry.push(row.id);
      else report[status === 'sent' ? 'sent' : status === 'skipped' ? 'skipped' : 'failed'] += 1;
    }
    await o.db.withUser(SYSTEM, async (tx) => {
      await q.record(tx, records);
      await q.recordSubscriptionResults(tx, subResults, o.maxSubscriptionFailures ?? 5);
    });
    if (report.failed > 0 || report.retry.length > 0 || subResults.gone.length > 0) {
      o.logger.warn(
        { ...report, retry: report.retry.length, subscriptionsDisabled: subResults.gone.length },
        'notification delivery had failures',
      );
    }
    return report;
  }
}

function summarisePush(outcomes: readonly PushOutcome[], at: string): ChannelResult {
  const sent = outcomes.filter((x) => x.kind === 'sent').length;
  const gone = outcomes.filter((x) => x.kind === 'gone').length;
  const failures = outcomes.filter((x): x is Extract<PushOutcome, { kind: 'failed' }> => x.kind === 'failed');
  if (sent > 0) return { status: 'sent', at, sent, gone, failed: failures.length };
  const firstError = failures[0]?.error ?? (gone > 0 ? 'subscription gone (404/410)' : 'not sent');
  if (failures.some((x) => x.transient)) return { status: 'retry', error: clean(firstError), at };
  return { status: 'failed', error: clean(firstError), at };
}
