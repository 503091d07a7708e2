/**
 * AI reports (Premium, counted like a question): adherence over N days, a medicine summary to
 * show a doctor, a risk report (missed-dose patterns by time of day, safety alerts over the
 * active medicines). Deterministic, from the record and the knowledge base; stored in
 * ai_reports (owner-only RLS, audited by trigger); rendered to HTML here and to PDF by
 * src/pdf/renderer.ts. No HTTP types.
 */
import type { Tx } from '../db/database.ts';
import { ApiError, notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import { knowledgeBase } from '../safety/knowledge.ts';
import { SafetyEngine, type SafetyAlert } from '../safety/engine.ts';
import { medicineInput } from '../safety/service.ts';
import { asLanguage, type Language } from '../safety/messages.ts';
import { lookup, t, type Catalogue } from '../i18n/index.ts';
import { patientFacts } from '../safety/queries.ts';
import { doseCountsBySlot } from '../reminders/adherence-queries.ts';
import { storedLanguageOf } from '../users/queries.ts';
import { classPurpose } from './purposes.ts';
import { disclaimer } from './guardrails.ts';
import { premiumRequired, type AiContext } from './service.ts';
import * as q from './queries.ts';

export type ReportKind = 'adherence' | 'medication_summary' | 'risk';
const DB_KIND: Record<ReportKind, string> = {
  adherence: 'adherence',
  medication_summary: 'medication_summary',
  risk: 'risk_assessment',
};
const API_KIND: Record<string, ReportKind> = {
  adherence: 'adherence',
  medication_summary: 'medication_summary',
  risk_assessment: 'risk',
};

export interface ReportContent {
  kind: ReportKind;
  language: Language;
  days: number;
  title: string;
  summary: string;
  medicines: Array<{
    name: string;
    strength: string | null;
    purpose: string;
    schedule: string;
    taken: number;
    missed: number;
    skipped: number;
    rate: number | null;
  }>;
  slots: Array<{ slot: string; taken: number; missed: number; skipped: number }>;
  alerts: Array<Pick<SafetyAlert, 'kind' | 'severity' | 'message' | 'source'>>;
  disclaimer: string;
}

const slotWord = (lang: Language, slot: string): string | undefined => lookup(lang, `slot.${slot}`);

function summaryText(
  lang: Language,
  kind: ReportKind,
  c: Omit<ReportContent, 'summary' | 'title' | 'disclaimer'>,
): string {
  const taken = c.medicines.reduce((s, m) => s + m.taken, 0);
  const due = c.medicines.reduce((s, m) => s + m.taken + m.missed + m.skipped, 0);
  const rate = due === 0 ? null : Math.round((1000 * taken) / due) / 10;
  const worst = [...c.slots].sort((a, b) => b.missed - a.missed)[0];
  const worstSlot = worst && worst.missed > 0 ? slotWord(lang, worst.slot) : undefined;
  const major = c.alerts.filter((a) => a.severity === 'major' || a.severity === 'contraindicated').length;
  const adherence =
    rate === null
      ? t(lang, 'report.no_doses', { days: c.days })
      : t(lang, 'report.doses', { days: c.days, taken, due, rate: String(rate) });
  if (kind === 'medication_summary')
    return t(lang, 'report.medication_summary', { count: c.medicines.length, adherence });
  if (kind === 'risk')
    return worstSlot
      ? t(lang, 'report.risk_with_slot', { adherence, slot: worstSlot, major })
      : t(lang, 'report.risk', { adherence, major });
  return adherence;
}

export async function createReport(
  ctx: AiContext,
  body: { kind: ReportKind; days?: number | undefined; language?: Language | undefined },
) {
  return ctx.run(async (tx) => {
    if (!(await q.canMakeAiRequest(tx, ctx.userId))) {
      const quota = await q.quota(tx, ctx.userId);
      if (!quota.is_premium) throw premiumRequired();
      throw new ApiError(429, 'ai_quota_exceeded', "this month's AI requests are used; the quota renews next month");
    }
    const lang = body.language ?? asLanguage(await storedLanguageOf(tx, ctx.userId));
    const days = body.days ?? 30;
    const content = await buildContent(tx, ctx.userId, body.kind, days, lang);
    const row = await q.insertReport(tx, {
      userId: ctx.userId,
      reportType: DB_KIND[body.kind],
      title: content.title,
      language: lang,
      content: JSON.stringify(content),
    });
    await recordEvent(tx, ctx.userId, 'ai_request', ctx.client, { provider: 'builtin', report: body.kind });
    if (!row) throw new Error('report insert returned no row');
    return view(row.id, row.created_at, content);
  });
}

export async function getReport(ctx: AiContext, id: string, action: 'read' | 'read_pdf' = 'read') {
  return ctx.run(async (tx) => {
    const row = await q.reportById<ReportContent>(tx, id);
    if (!row) throw notFound('report');
    await recordRead(tx, ctx, { table: 'ai_reports', action, subjectUserId: ctx.userId, resourceIds: [row.id] });
    return view(row.id, row.created_at, { ...row.content, kind: API_KIND[row.report_type] ?? row.content.kind });
  });
}

function view(id: string, createdAt: Date, c: ReportContent) {
  return { id, created_at: createdAt.toISOString(), ...c };
}

export async function buildContent(
  tx: Tx,
  userId: string,
  kind: ReportKind,
  days: number,
  lang: Language,
): Promise<ReportContent> {
  const kb = knowledgeBase();
  const meds = await q.recordMedications(tx, userId);
  const logs = await doseCountsBySlot(tx, userId, days);
  const byMed = new Map<string, { taken: number; missed: number; skipped: number }>();
  const bySlot = new Map<string, { taken: number; missed: number; skipped: number }>();
  for (const l of logs) {
    for (const [map, key] of [
      [byMed, l.medication_id],
      [bySlot, l.slot],
    ] as const) {
      const x = map.get(key) ?? { taken: 0, missed: 0, skipped: 0 };
      x.taken += l.taken;
      x.missed += l.missed;
      x.skipped += l.skipped;
      map.set(key, x);
    }
  }
  const medicines = meds.map((m) => {
    const a = byMed.get(m.id) ?? { taken: 0, missed: 0, skipped: 0 };
    const due = a.taken + a.missed + a.skipped;
    const ing = m.lexicon_id ? kb.get(m.lexicon_id) : kb.findExact(m.generic_name ?? m.name);
    const sched = (['morning', 'noon', 'evening', 'night'] as const)
      .filter((s) => Number(m[`dose_${s}`]) > 0)
      .map((s) => `${t(lang, `slot.${s}`)} ${Number(m[`dose_${s}`])}`)
      .join(', ');
    return {
      name: m.name,
      strength: m.strength,
      purpose: classPurpose(lang, ing?.class) ?? '',
      schedule: sched,
      ...a,
      rate: due === 0 ? null : Math.round((1000 * a.taken) / due) / 10,
    };
  });
  const slots = ['morning', 'noon', 'evening', 'night']
    .filter((s) => bySlot.has(s))
    .map((s) => ({ slot: s, ...(bySlot.get(s) ?? { taken: 0, missed: 0, skipped: 0 }) }));
  let alerts: ReportContent['alerts'] = [];
  if (kind !== 'adherence') {
    const f = await patientFacts(tx, userId);
    const inputs = meds.map((m) => medicineInput(m, 'review'));
    alerts = new SafetyEngine(kb, lang)
      .check(inputs, {
        allergies: f?.allergies ?? [],
        conditions: f?.medical_conditions ?? [],
        gender: f?.gender ?? null,
      })
      .map((a) => ({ kind: a.kind, severity: a.severity, message: a.message, source: a.source }));
  }
  const base = { kind, language: lang, days, medicines, slots, alerts };
  return {
    ...base,
    title: t(lang, `report.title.${kind}`),
    summary: summaryText(lang, kind, base),
    disclaimer: disclaimer(lang),
  };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The report as a self-contained HTML page (Khmer fonts of fonts-khmeros; no network). */
export function reportHtml(r: ReportContent & { created_at: string }): string {
  const L = r.language;
  const h = (key: keyof Catalogue['report']['heading']): string => t(L, `report.heading.${key}`);
  const rows = r.medicines
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}${m.strength ? ` ${esc(m.strength)}` : ''}</td><td>${esc(m.purpose)}</td><td>${esc(m.schedule)}</td><td>${m.taken}${m.rate === null ? '' : ` (${m.rate}%)`}</td><td>${m.missed}</td></tr>`,
    )
    .join('');
  const slots = r.slots
    .map((s) => `<tr><td>${esc(slotWord(L, s.slot) ?? s.slot)}</td><td>${s.taken}</td><td>${s.missed}</td></tr>`)
    .join('');
  const alerts =
    r.alerts.length === 0
      ? `<p>${h('none')}</p>`
      : `<ul>${r.alerts.map((a) => `<li><b>${esc(a.severity)}</b> — ${esc(a.message)} <small>(${esc(a.source)})</small></li>`).join('')}</ul>`;
  return `<!doctype html><html lang="${L}"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>
body{font-family:'Noto Sans Khmer','Khmer OS','Khmer OS System',sans-serif;font-size:12pt;margin:24px;color:#111}
h1{font-size:18pt}table{border-collapse:collapse;width:100%;margin:12px 0}td,th{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top}
small{color:#555}.disclaimer{margin-top:24px;font-size:9pt;color:#444}</style></head><body>
<h1>${esc(r.title)}</h1><p>DasTern — ${esc(r.created_at.slice(0, 10))}</p><p>${esc(r.summary)}</p>
<table><tr><th>${h('medicine')}</th><th>${h('use')}</th><th>${h('schedule')}</th><th>${h('taken')}</th><th>${h('missed')}</th></tr>${rows}</table>
${r.slots.length > 0 ? `<h2>${h('slots')}</h2><table><tr><th></th><th>${h('taken')}</th><th>${h('missed')}</th></tr>${slots}</table>` : ''}
${r.kind === 'adherence' ? '' : `<h2>${h('alerts')}</h2>${alerts}`}
<p class="disclaimer">${esc(r.disclaimer)}</p></body></html>`;
}
