/**
 * Reads of a patient's doses by the patient herself, or by a doctor she lets see her reminders:
 * a patient the caller may not see (RLS) reads as no such patient, and a doctor's read is audited.
 */
import type { RequestContext } from '../core/context.ts';
import type { Tx } from '../db/database.ts';
import { notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { canSeeReminders } from './adherence-queries.ts';

export function readPatientDoses<T>(
  ctx: RequestContext,
  patientId: string | undefined,
  action: string,
  read: (tx: Tx, subject: string) => Promise<T>,
): Promise<T> {
  const subject = patientId ?? ctx.userId;
  return ctx.run(async (tx) => {
    if (subject !== ctx.userId && !(await canSeeReminders(tx, subject))) throw notFound('patient');
    const out = await read(tx, subject);
    if (subject !== ctx.userId) {
      await recordRead(tx, ctx, {
        table: 'medication_reminder_logs',
        action,
        subjectUserId: subject,
        resourceIds: [subject],
      });
    }
    return out;
  });
}
