/**
 * Today's doses, dose logging (idempotent per dose), reminder changes (the patient, or a
 * doctor with can_modify_reminders) and adherence (per medication, prescription and day).
 */
import type { RequestContext } from '../core/context.ts';
import type { Tx } from '../db/database.ts';
import { ApiError, badRequest, conflict, notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import * as q from './queries.ts';
import { recordDose } from './dose-log.ts';
import * as aq from './adherence-queries.ts';
import { readPatientDoses } from './patient-read.ts';
import type { AdherenceReportT, DoseLogViewT, LogBodyT, ReminderItemT, ReminderPatchT, TodayDoseT } from './types.ts';

function logView(l: q.LogRow): DoseLogViewT {
  return {
    id: l.id,
    reminder_id: l.reminder_id,
    scheduled_for: l.scheduled_for.toISOString(),
    status: l.status,
    action_at: l.action_at?.toISOString() ?? null,
    snoozed_until: l.snoozed_until?.toISOString() ?? null,
    reason: l.reason,
  };
}

export class ReminderService {
  async today(ctx: RequestContext): Promise<TodayDoseT[]> {
    const actor = ctx;
    return ctx.run((tx) => aq.todayDoses(tx, actor.userId));
  }

  async list(ctx: RequestContext, patientId: string | undefined): Promise<ReminderItemT[]> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const rows = await aq.listReminders(tx, patientId ?? (actor.role === 'patient' ? actor.userId : undefined));
      await recordReadsBySubject(tx, ctx, rows);
      return rows;
    });
  }

  async log(ctx: RequestContext, reminderId: string, body: LogBodyT): Promise<{ created: boolean; log: DoseLogViewT }> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const reminder = await q.findReminder(tx, reminderId, false);
      if (!reminder) throw notFound('reminder');
      if (reminder.patient_id !== actor.userId)
        throw new ApiError(403, 'not_owner', 'only the patient records her own doses');
      let scheduledFor: Date | undefined;
      if (body.scheduled_for !== undefined) {
        scheduledFor = new Date(body.scheduled_for);
        if (!(await q.isOccurrence(tx, reminderId, scheduledFor))) {
          throw new ApiError(422, 'not_a_dose_time', "scheduled_for is not one of this reminder's dose times");
        }
        if (scheduledFor.getTime() > Date.now() + 12 * 3600_000) {
          throw new ApiError(422, 'dose_in_future', 'a dose more than 12 hours ahead cannot be recorded yet');
        }
      } else {
        scheduledFor = await q.currentDose(tx, reminderId);
        if (scheduledFor === undefined) throw conflict('no_dose_due', 'no dose of this reminder is due today');
      }
      const now = new Date();
      if (body.at !== undefined && new Date(body.at).getTime() > now.getTime() + 5 * 60_000)
        throw new ApiError(422, 'time_in_future', '"at" cannot be in the future');
      const { log, changed } = await recordDose(tx, { patientId: actor.userId, now }, reminder, scheduledFor, body);
      if (!changed) return { created: false, log: logView(log) };
      if (body.status !== 'snoozed') {
        await recordEvent(
          tx,
          actor.userId,
          body.status === 'taken' ? 'reminder_taken' : 'reminder_skipped',
          ctx.client,
          {},
        );
      }
      if (body.status === 'taken') await q.refillCheck(tx, reminder.medication_id);
      return { created: log.inserted, log: logView(log) };
    });
  }

  async update(ctx: RequestContext, reminderId: string, patch: ReminderPatchT): Promise<ReminderItemT> {
    return ctx.run(async (tx) => {
      const visible = await q.findReminder(tx, reminderId);
      if (!visible) throw notFound('reminder');
      if (typeof patch.end_date === 'string' && patch.end_date < visible.start_date) {
        throw badRequest(
          'end_before_start',
          `end_date ${patch.end_date} is before the reminder's start date ${visible.start_date}`,
          [{ path: 'body/end_date', message: `on or after ${visible.start_date}` }],
        );
      }
      const changed = await aq.updateReminder(tx, reminderId, patch);
      if (!changed)
        throw new ApiError(
          403,
          'not_allowed',
          "changing this patient's reminders needs her permission (can_modify_reminders)",
        );
      const [row] = await aq.listReminders(tx, undefined, reminderId);
      if (!row) throw notFound('reminder');
      return row;
    });
  }

  async adherence(ctx: RequestContext, days: 7 | 30, patientId: string | undefined): Promise<AdherenceReportT> {
    return readPatientDoses(ctx, patientId, 'read_adherence', (tx, subject) => aq.adherenceReport(tx, subject, days));
  }
}

async function recordReadsBySubject(tx: Tx, ctx: RequestContext, rows: readonly ReminderItemT[]): Promise<void> {
  const actor = ctx;
  const others = rows.filter((r) => r.patient_id !== actor.userId);
  const bySubject = new Map<string, string[]>();
  for (const r of others) bySubject.set(r.patient_id, [...(bySubject.get(r.patient_id) ?? []), r.id]);
  for (const [subject, ids] of bySubject) {
    await recordRead(tx, ctx, {
      table: 'medication_reminders',
      action: 'list',
      subjectUserId: subject,
      resourceIds: ids,
    });
  }
}
