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

type ChannelResults = Partial<Record<Channel, ChannelResult>>;

/** What one round gathers: each notification's channel results, the sends to make, the push answers. */
interface Round {
  now: Date;
  at: string;
  results: Map<string, ChannelResults>;
  pushOutcomes: Map<string, PushOutcome[]>;
  subResults: q.SubscriptionResults;
  tasks: (() => Promise<void>)[];
}

/** Why no channel of the notification is sent at all (undefined: each channel is tried). */
function skipReason(row: q.ClaimedRow, now: Date, maxAgeMs: number): string | undefined {
  if (!row.active) return 'inactive';
  if (now.getTime() - row.created_at.getTime() > maxAgeMs) return 'expired';
  if (row.dose_status !== null && row.dose_status !== 'pending' && row.dose_status !== 'snoozed')
    return `dose_${row.dose_status}`;
  return undefined;
}

/** The notification's status from its channels' results (this round's, else the previous ones). */
function overallStatus(row: q.ClaimedRow, out: ChannelResults): q.DeliveryRecord['status'] {
  const all = CHANNELS.filter((c) => row.channels.includes(c)).map((c) => out[c] ?? previous(row, c));
  if (all.some((r) => r?.status === 'retry')) return 'pending';
  if (all.some((r) => r?.status === 'sent')) return 'sent';
  return all.every((r) => r?.status === 'skipped') ? 'skipped' : 'failed';
}

function channelErrors(row: q.ClaimedRow, out: ChannelResults): string | null {
  const errors = CHANNELS.flatMap((c) => {
    const r = out[c] ?? previous(row, c);
    return r !== undefined && (r.status === 'failed' || r.status === 'retry') ? [`${c}: ${r.error}`] : [];
  });
  return errors.length > 0 ? errors.join('; ').slice(0, 500) : null;
}

export class Deliverer {
  constructor(private readonly o: DelivererOptions) {}

  async deliver(ids: readonly string[], options: { final?: boolean } = {}): Promise<DeliveryReport> {
    const o = this.o;
    const report: DeliveryReport = { inAppOnly: 0, claimed: 0, sent: 0, failed: 0, skipped: 0, retry: [] };
    if (ids.length === 0) return report;
    const { rows, subs } = await this.claim(ids, report);
    report.claimed = rows.length;
    if (rows.length === 0) return report;

    const now = new Date();
    const round: Round = {
      now,
      at: now.toISOString(),
      results: new Map(),
      pushOutcomes: new Map(),
      subResults: { succeeded: [], gone: [], failed: [] },
      tasks: [],
    };
    for (const row of rows) this.plan(round, row, subs);
    await mapLimit(round.tasks, o.concurrency ?? 8, (task) => task());

    const records = rows.map((row) => this.settle(round, row, options.final === true, report));
    await o.db.withUser(SYSTEM, async (tx) => {
      await q.record(tx, records);
      await q.recordSubscriptionResults(tx, round.subResults, o.maxSubscriptionFailures ?? 5);
    });
    if (report.failed > 0 || report.retry.length > 0 || round.subResults.gone.length > 0) {
      o.logger.warn(
        { ...report, retry: report.retry.length, subscriptionsDisabled: round.subResults.gone.length },
        'notification delivery had failures',
      );
    }
    return report;
  }

  /** Marks the in-app-only ones, claims the rest under a lease, and reads the push subscriptions. */
  private async claim(
    ids: readonly string[],
    report: DeliveryReport,
  ): Promise<{ rows: q.ClaimedRow[]; subs: q.SubscriptionRow[] }> {
    const o = this.o;
    return o.db.withUser(SYSTEM, async (tx) => {
      report.inAppOnly = await q.markInAppOnly(tx, ids);
      const claimed = await q.claim(tx, ids, o.leaseSeconds ?? 240);
      const pushUsers = [...new Set(claimed.filter((r) => r.channels.includes('push')).map((r) => r.user_id))];
      return { rows: claimed, subs: o.push === undefined ? [] : await q.activeSubscriptions(tx, pushUsers) };
    });
  }

  /** The sends one notification needs: each channel not done yet, or why it is skipped. */
  private plan(round: Round, row: q.ClaimedRow, subs: readonly q.SubscriptionRow[]): void {
    const out: ChannelResults = {};
    round.results.set(row.id, out);
    const n: OutgoingNotification = { id: row.id, type: row.type, data: row.data, language: languageOf(row.language) };
    const common = skipReason(row, round.now, (this.o.maxAgeMinutes ?? 60) * 60_000);
    for (const channel of CHANNELS) {
      if (!row.channels.includes(channel)) continue;
      const before = previous(row, channel);
      if (before !== undefined && before.status !== 'retry') continue;
      if (common !== undefined) out[channel] = { status: 'skipped', reason: common, at: round.at };
      else if (channel === 'email') this.planEmail(round, row, n, out);
      else
        this.planPush(
          round,
          row,
          n,
          out,
          subs.filter((s) => s.user_id === row.user_id),
        );
    }
  }

  private planEmail(round: Round, row: q.ClaimedRow, n: OutgoingNotification, out: ChannelResults): void {
    const { at } = round;
    if (!row.email_verified) {
      out.email = { status: 'skipped', reason: 'email_unverified', at };
      return;
    }
    round.tasks.push(async () => {
      try {
        await this.o.mailer.send(emailFor(n, row.email, this.o.publicUrl));
        out.email = { status: 'sent', at };
      } catch (err) {
        const f = mailFailure(err);
        out.email = { status: f.transient ? 'retry' : 'failed', error: f.error, at };
      }
    });
  }

  private planPush(
    round: Round,
    row: q.ClaimedRow,
    n: OutgoingNotification,
    out: ChannelResults,
    mine: readonly q.SubscriptionRow[],
  ): void {
    const sender = this.o.push;
    if (sender === undefined || mine.length === 0) {
      out.push = {
        status: 'skipped',
        reason: sender === undefined ? 'push_disabled' : 'no_subscription',
        at: round.at,
      };
      return;
    }
    const message = {
      payload: JSON.stringify(pushPayloadFor(n, this.o.publicUrl)),
      ttlSeconds: row.type === 'reminder' ? 30 * 60 : 24 * 3600,
      urgency: row.type === 'reminder' || row.type === 'missed_dose' ? ('high' as const) : ('normal' as const),
      topic: row.id.replace(/-/g, ''),
    };
    const outcomes: PushOutcome[] = [];
    round.pushOutcomes.set(row.id, outcomes);
    const { subResults } = round;
    for (const sub of mine) {
      round.tasks.push(async () => {
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

  /** One notification's record after the sends (a passing failure turns final on the last attempt). */
  private settle(round: Round, row: q.ClaimedRow, finalRound: boolean, report: DeliveryReport): q.DeliveryRecord {
    const out = round.results.get(row.id) ?? {};
    const final = finalRound || row.delivery_attempts >= (this.o.maxAttempts ?? 6);
    const outcomes = round.pushOutcomes.get(row.id);
    if (outcomes !== undefined) out.push = summarisePush(outcomes, round.at);
    for (const channel of CHANNELS) {
      const r = out[channel];
      if (r?.status === 'retry' && final) out[channel] = { ...r, status: 'failed' };
    }
    const status = overallStatus(row, out);
    if (status === 'pending') report.retry.push(row.id);
    else report[status === 'sent' ? 'sent' : status === 'skipped' ? 'skipped' : 'failed'] += 1;
    return { id: row.id, status, delivery: out, error: channelErrors(row, out) };
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
