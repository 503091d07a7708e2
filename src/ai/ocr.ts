/**
 * OCR correction (Premium): for the low-confidence lines of a draft, suggestions from the
 * lexicon and the knowledge base ("Amoxicillin 500mg?") for the review screen. The patient
 * decides; nothing is changed here. No HTTP types.
 */
import { notFound } from '../core/errors.ts';
import { knowledgeBase } from '../safety/knowledge.ts';
import { prescriptionDraft } from '../prescriptions/queries.ts';
import { loadLexiconFile } from '../reading/lexicon/load.ts';
import { premiumRequired, type AiContext } from './service.ts';
import * as q from './queries.ts';

const LOW = 0.85;

export interface Suggestion {
  field: 'name' | 'strength';
  value: string;
  drug_id?: string;
  generic_name?: string;
  similarity?: number;
}
export interface LineSuggestions {
  index: number;
  name: string;
  confidence: number | null;
  label: string;
  suggestions: Suggestion[];
}

interface DraftLine {
  name: string;
  strength?: string | null;
  drug_id?: string | null;
  generic_name?: string | null;
  confidence?: number | null;
  field_confidence?: Record<string, unknown>;
}

let strengths: Map<string, string[]> | undefined;
function lexiconStrengths(): Map<string, string[]> {
  strengths ??= new Map(loadLexiconFile().drugs.map((d) => [d.id, d.strengths ?? []]));
  return strengths;
}

const fieldScore = (fc: Record<string, unknown> | undefined, key: string): number | null => {
  const v = fc?.[key];
  return typeof v === 'number' ? v : null;
};

/** OCR confusions in numbers: O→0, l/I→1, S→5, B→8. */
const digits = (s: string): string =>
  s
    .replace(/[oO]/g, '0')
    .replace(/[lI|]/g, '1')
    .replace(/[sS](?=\d|$)/g, '5')
    .replace(/B/g, '8');

export function suggestFor(line: DraftLine): Suggestion[] {
  const kb = knowledgeBase();
  const out: Suggestion[] = [];
  const hit = kb.lexicon.match(line.name);
  let drugId = line.drug_id ?? null;
  if (hit && hit.similarity >= 0.6 && (hit.changed || hit.drug.id !== line.drug_id)) {
    out.push({
      field: 'name',
      value: hit.changed ? hit.corrected : (hit.drug.inn ?? hit.drug.generic_name),
      drug_id: hit.drug.id,
      generic_name: hit.drug.generic_name,
      similarity: Math.round(hit.similarity * 1000) / 1000,
    });
    drugId = hit.drug.id;
  }
  const known = drugId ? (lexiconStrengths().get(drugId) ?? []) : [];
  const s = line.strength?.replace(/\s+/g, '') ?? '';
  if (known.length > 0 && !known.includes(s.toLowerCase())) {
    const fixed = digits(s).toLowerCase();
    const num = Number(/^(\d+(?:\.\d+)?)/.exec(fixed)?.[1] ?? NaN);
    const unit = /[a-z%]+$/.exec(fixed)?.[0] ?? 'mg';
    const candidates = known.filter((k) => k.endsWith(unit) && !k.includes('/') && !k.includes('+'));
    const best = known.includes(fixed)
      ? fixed
      : Number.isFinite(num)
        ? candidates.sort((a, b) => Math.abs(parseFloat(a) - num) - Math.abs(parseFloat(b) - num))[0]
        : candidates[0];
    if (best !== undefined && best !== s) out.push({ field: 'strength', value: best });
  }
  return out;
}

export async function ocrSuggestions(ctx: AiContext, prescriptionId: string): Promise<{ items: LineSuggestions[] }> {
  return ctx.run(async (tx) => {
    const quota = await q.quota(tx, ctx.userId);
    if (!quota.is_premium) throw premiumRequired();
    const row = await prescriptionDraft<DraftLine>(tx, prescriptionId);
    if (!row || row.patient_id !== ctx.userId) throw notFound('prescription');
    const lines = Array.isArray(row.structured_data?.medications) ? row.structured_data.medications : [];
    const items: LineSuggestions[] = [];
    lines.forEach((line, index) => {
      const scores = [
        line.confidence ?? null,
        fieldScore(line.field_confidence, 'name'),
        fieldScore(line.field_confidence, 'strength'),
      ].filter((x): x is number => x !== null);
      const low = scores.some((x) => x < LOW) || !line.drug_id;
      if (!low) return;
      const suggestions = suggestFor(line);
      if (suggestions.length === 0) return;
      const name = suggestions.find((x) => x.field === 'name')?.value ?? line.name;
      const strength = suggestions.find((x) => x.field === 'strength')?.value ?? line.strength ?? '';
      items.push({
        index,
        name: line.name,
        confidence: line.confidence ?? null,
        label: `${name}${strength ? ` ${strength}` : ''}?`,
        suggestions,
      });
    });
    return { items };
  });
}
