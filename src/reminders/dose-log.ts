/**
 * Recording a dose: taken, skipped or snoozed. The states and their allowed changes are the
 * database's (dose_log_refusal, enforced by the dose_log_state trigger on every UPDATE):
 *
 *   pending ─▶ taken | skipped | snoozed | missed     snoozed ─▶ taken | skipped | snoozed | missed
 *   missed  ─▶ taken | skipped (reported late)        taken ◀─▶ skipped (a correction)
 *
 * Nothing goes back to pending, and a dose taken, skipped or missed is never snoozed (409 with
 * the refusal's code, e.g. dose_already_taken). Each state keeps only its own data: the reason
 * of a skip, the end of a snooze, the time of an action. A snooze ends at the dose's due time
 * plus whole snooze periods (the first such moment after now), or at the time the patient
 * gives, never after the dose's grace window (by then it is marked missed).
 */
import type { Tx } from '../db/database.ts';
import { ApiError } from '../core/errors.ts';
import * as q from './queries.ts';
import type { LogBodyT } from './types.ts';

const REFUSALS: Record<string, string> = {
  dose_already_taken: 'this dose is already recorded as taken',
  dose_already_skipped: 'this dose is already recorded as skipped',
  dose_already_missed: 'this dose was marked missed: it can still be recorded as taken or skipped, not snoozed',
  dose_already_recorded: 'a recorded dose cannot go back to pending',
};

/** The first end of a snooze after `now`: due time + k × snooze period (k ≥ 1). */
export function snoozeEnd(scheduledFor: Date, now: Date, snoozeMinutes: number): Date {
  const step = snoozeMinutes * 60_000;
  const k = Math.max(1, Math.floor((now.getTime() - scheduledFor.getTime()) / step) + 1);
  return new Date(scheduledFor.getTime() + k * step);
}

export interface DoseContext {
  patientId: string;
  now: Date;
}

export async function recordDose(
  tx: Tx,
  ctx: DoseContext,
  reminder: q.ReminderRow,
  scheduledFor: Date,
  body: LogBodyT,
): Promise<{ log: q.LogRow; changed: boolean }> {
  if (body.reason !== undefined && body.status !== 'skipped') {
    throw new ApiError(422, 'reason_only_when_skipped', 'a reason is recorded only with a skipped dose', {}, [
      { path: 'body/reason', message: 'only with status "skipped"' },
    ]);
  }
  if (body.snoozed_until !== undefined && body.status !== 'snoozed') {
    throw new ApiError(422, 'snoozed_until_only_when_snoozed', 'snoozed_until goes only with status "snoozed"', {}, [
      { path: 'body/snoozed_until', message: 'only with status "snoozed"' },
    ]);
  }
  const existing = await q.lockLog(tx, reminder.id, scheduledFor);
  if (existing) {
    const refusal = await q.transitionRefusal(tx, existing.status, body.status);
    if (refusal !== null)
      throw new ApiError(409, refusal, REFUSALS[refusal] ?? 'this change of the dose is not allowed');
    // the same report again changes nothing (a skip may change its reason, a snooze is renewed)
    const same =
      existing.status === body.status &&
      (body.status === 'taken' ||
        (body.status === 'skipped' && (body.reason === undefined || body.reason === existing.reason)));
    if (same) return { log: existing, changed: false };
  }
  let actionAt: Date | null = null;
  let snoozedUntil: Date | null = null;
  if (body.status === 'snoozed') {
    const graceEnd = scheduledFor.getTime() + reminder.grace_minutes * 60_000;
    snoozedUntil =
      body.snoozed_until !== undefined
        ? new Date(body.snoozed_until)
        : snoozeEnd(scheduledFor, ctx.now, reminder.snooze_minutes);
    if (snoozedUntil.getTime() <= ctx.now.getTime() || snoozedUntil.getTime() <= scheduledFor.getTime()) {
      throw new ApiError(422, 'snooze_in_past', 'snoozed_until must be later than now and than the dose time', {}, [
        { path: 'body/snoozed_until', message: 'in the future' },
      ]);
    }
    if (snoozedUntil.getTime() > graceEnd) {
      const until = new Date(graceEnd).toISOString();
      throw new ApiError(
        422,
        'snooze_past_grace',
        `a dose can be snoozed until ${until} at the latest (then it counts as missed)`,
        {},
        [{ path: 'body/snoozed_until', message: 'within the grace window' }],
        { until },
      );
    }
  } else {
    actionAt = body.at !== undefined ? new Date(body.at) : ctx.now;
  }
  try {
    const log = await q.writeLog(tx, {
      reminderId: reminder.id,
      patientId: ctx.patientId,
      scheduledFor,
      status: body.status,
      actionAt,
      snoozedUntil,
      reason: body.status === 'skipped' ? (body.reason ?? null) : null,
    });
    return { log, changed: true };
  } catch (err) {
    // a concurrent report (two taps) recorded the dose first: the trigger's refusal, as a 409
    const e = err as { code?: unknown; constraint?: unknown; hint?: unknown };
    if (e.code === '23514' && e.constraint === 'dose_log_state' && typeof e.hint === 'string') {
      throw new ApiError(409, e.hint, REFUSALS[e.hint] ?? 'this change of the dose is not allowed');
    }
    throw err;
  }
}
