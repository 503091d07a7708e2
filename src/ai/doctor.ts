/**
 * For doctors: a drafted visit summary of one of his patients (adherence over N days, the time
 * of day she misses most, her medicines and their safety alerts), marked as a draft for the
 * doctor to edit. Deterministic, from the record; only for a doctor who may view her
 * prescriptions (otherwise 404); the read is audited on her access log. No HTTP types.
 */
import { notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { doctorCan } from '../care/queries.ts';
import { storedLanguageOf } from '../users/queries.ts';
import { asLanguage } from '../safety/messages.ts';
import { t } from '../i18n/index.ts';
import { buildContent } from './reports.ts';
import type { AiContext } from './service.ts';

export async function visitSummary(ctx: AiContext, patientId: string, days: number) {
  return ctx.run(async (tx) => {
    if (!(await doctorCan(tx, patientId, 'view_prescriptions'))) throw notFound('patient');
    const lang = asLanguage(await storedLanguageOf(tx, ctx.userId));
    const c = await buildContent(tx, patientId, 'risk', days, lang);
    await recordRead(tx, ctx, {
      table: 'medications',
      action: 'visit_summary',
      subjectUserId: patientId,
      resourceIds: [patientId],
    });
    const meds = c.medicines.map(
      (m) =>
        `- ${m.name}${m.strength ? ` ${m.strength}` : ''}: ${m.schedule}${m.rate === null ? '' : ` — ${m.taken}/${m.taken + m.missed + m.skipped} (${m.rate}%)`}`,
    );
    const alerts = c.alerts.filter((a) => a.severity !== 'info').map((a) => `- [${a.severity}] ${a.message}`);
    return {
      patient_id: patientId,
      draft: true as const,
      language: lang,
      days,
      text: [
        t(lang, 'report.visit_draft'),
        '',
        c.summary,
        '',
        ...meds,
        ...(alerts.length > 0 ? ['', ...alerts] : []),
      ].join('\n'),
      medicines: c.medicines,
      slots: c.slots,
      alerts: c.alerts,
      generated_at: new Date().toISOString(),
    };
  });
}
