/**
 * Checks of the knowledge base's files: every row sourced (existing source ids) and licensed,
 * no dangling ids (components, interaction sides, groups), known severities and effects, every
 * lexicon medicine present, no duplicate ids or pairs. `npm run kb:validate` prints the result.
 */
import { loadLexiconFile } from '../reading/lexicon/load.ts';
import { knowledgeBase, SEVERITIES, type KnowledgeBase } from './knowledge.ts';
import { EFFECTS, LANGUAGES } from './messages.ts';

export interface KnowledgeReport {
  errors: string[];
  counts: {
    ingredients: number;
    medicines: number;
    lexiconCovered: number;
    withMaxDailyDose: number;
    withPregnancyCaution: number;
    withBreastfeedingCaution: number;
    withAllergyGroup: number;
    interactions: number;
    pairRules: number;
    classRules: number;
    bySeverity: Record<string, number>;
    sources: number;
  };
}

export function validateKnowledge(kb: KnowledgeBase = knowledgeBase()): KnowledgeReport {
  const errors: string[] = [];
  const groups = new Set<string>();
  for (const i of kb.ingredients.values()) for (const g of i.groups) groups.add(g);
  const checkSources = (where: string, ids: readonly string[] | undefined): void => {
    if (!ids || ids.length === 0) errors.push(`${where}: no source`);
    for (const s of ids ?? []) if (!kb.sources.has(s)) errors.push(`${where}: unknown source "${s}"`);
  };
  for (const s of kb.sources.values()) if (!s.licence) errors.push(`source ${s.id}: no licence`);
  for (const i of kb.ingredients.values()) {
    const w = `ingredient ${i.id}`;
    checkSources(w, i.sources);
    if (!i.licence) errors.push(`${w}: no licence`);
    for (const c of i.components) if (!kb.ingredients.has(c)) errors.push(`${w}: unknown component "${c}"`);
    if (i.max_daily_mg !== null) {
      if (!(i.max_daily_mg > 0)) errors.push(`${w}: max_daily_mg must be > 0`);
      checkSources(`${w} max_daily_mg`, i.max_daily_sources);
    }
    for (const [k, v] of [
      ['pregnancy', i.pregnancy],
      ['breastfeeding', i.breastfeeding],
    ] as const) {
      if (v !== null && !['caution', 'avoid', 'contraindicated'].includes(v)) errors.push(`${w}: bad ${k} "${v}"`);
    }
  }
  const lexicon = loadLexiconFile();
  let covered = 0;
  for (const d of lexicon.drugs) {
    if (kb.ingredients.has(d.id)) covered += 1;
    else errors.push(`lexicon medicine ${d.id} has no knowledge row`);
  }
  const pairs = new Set<string>();
  const bySeverity: Record<string, number> = {};
  let classRules = 0;
  for (const r of kb.interactions) {
    const w = `interaction ${r.id}`;
    checkSources(w, r.sources);
    if (!r.licence) errors.push(`${w}: no licence`);
    if (!(SEVERITIES as readonly string[]).includes(r.severity)) errors.push(`${w}: bad severity "${r.severity}"`);
    const effect = EFFECTS[r.effect];
    if (!effect) errors.push(`${w}: effect "${r.effect}" has no message`);
    else for (const l of LANGUAGES) if (!effect[l]) errors.push(`${w}: effect "${r.effect}" has no ${l} text`);
    if (!r.note.trim()) errors.push(`${w}: empty note`);
    for (const side of [r.a, r.b]) {
      if (side.startsWith('group:')) {
        if (!groups.has(side.slice(6))) errors.push(`${w}: no ingredient is in "${side}"`);
      } else if (!kb.ingredients.has(side)) errors.push(`${w}: unknown ingredient "${side}"`);
    }
    if (r.a.startsWith('group:') || r.b.startsWith('group:')) classRules += 1;
    const key = [r.a, r.b].sort().join('|');
    if (pairs.has(key)) errors.push(`${w}: duplicate pair ${key}`);
    pairs.add(key);
    bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + 1;
  }
  const ids = [...kb.ingredients.keys(), ...kb.interactions.map((r) => r.id)];
  if (new Set(ids).size !== ids.length) errors.push('duplicate ids');
  const all = [...kb.ingredients.values()];
  return {
    errors,
    counts: {
      ingredients: all.length,
      medicines: all.filter((i) => i.kind === 'medicine').length,
      lexiconCovered: covered,
      withMaxDailyDose: all.filter((i) => i.max_daily_mg !== null).length,
      withPregnancyCaution: all.filter((i) => i.pregnancy !== null).length,
      withBreastfeedingCaution: all.filter((i) => i.breastfeeding !== null).length,
      withAllergyGroup: all.filter((i) => i.allergy_groups.length > 0).length,
      interactions: kb.interactions.length,
      pairRules: kb.interactions.length - classRules,
      classRules,
      bySeverity,
      sources: kb.sources.size,
    },
  };
}
