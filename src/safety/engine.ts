/**
 * The medication safety engine: deterministic, pure (no database, no clock). Over the
 * medicines under review plus the patient's other active medicines it finds interactions,
 * duplicate therapy, doses above the usual adult maximum, allergy matches and pregnancy or
 * breast-feeding cautions. Missing a real problem is worse than a false alarm, but every alert
 * must be explainable by a sourced row of the knowledge base.
 */
import { foldKey } from '../reading/lexicon/ocr-distance.ts';
import { severityRank, type Ingredient, type Interaction, type KnowledgeBase, type Severity } from './knowledge.ts';
import {
  allergyMessage,
  interactionMessage,
  maxDoseMessage,
  pregnancyMessage,
  sameIngredientMessage,
  type AllergyMatch,
  type Language,
} from './messages.ts';

export type AlertKind = 'interaction' | 'duplicate_therapy' | 'max_dose' | 'allergy' | 'pregnancy';

export interface SafetyAlert {
  kind: AlertKind;
  severity: Severity;
  /** The medicines concerned, as the patient sees them. */
  drugs: string[];
  message: string;
  /** The public sources of the rule. */
  source: string;
  /** The knowledge-base row(s) behind the alert (ingredient ids, interaction id). */
  rule: string;
}

export interface DoseSchedule {
  morning: number;
  noon: number;
  evening: number;
  night: number;
}

export interface MedicineInput {
  name: string;
  /** The lexicon/knowledge id when the reader or the patient chose one. */
  drugId?: string | null;
  genericName?: string | null;
  strength?: string | null;
  form?: string | null;
  schedule: DoseSchedule;
  /** 'review': on the prescription being reviewed; 'active': another active medicine. */
  origin: 'review' | 'active';
}

export interface PatientFacts {
  allergies: readonly string[];
  conditions: readonly string[];
  gender?: string | null;
}

/** Forms that act on the skin, eye, ear or nose: no interaction or daily-dose check. */
const LOCAL_FORMS = new Set([
  'cream',
  'ointment',
  'gel',
  'lotion',
  'shampoo',
  'eye drops',
  'eye ointment',
  'ear drops',
  'nasal spray',
  'spray',
  'patch',
  'vaginal tablet',
  'mouthwash',
]);
/** Forms counted in whole units (a schedule of 1 = one unit of the strength). */
const UNIT_FORMS = new Set([
  'tablet',
  'coated tablet',
  'effervescent tablet',
  'chewable tablet',
  'capsule',
  'sachet',
  'suppository',
  'lozenge',
]);

const MECHANISM_GROUPS = new Set(['group:qt-prolonging', 'group:serotonergic', 'group:cns-depressant']);

interface Resolved {
  input: MedicineInput;
  index: number;
  product: Ingredient | undefined;
  ingredients: Set<string>;
  keys: Set<string>;
  local: boolean;
}

/** Allergy words (km/en/fr) for the families of `allergy_groups`. */
const ALLERGY_WORDS: Record<string, string[]> = {
  penicillins: ['penicillin', 'penicillins', 'penicilline', 'penicillines', 'ប៉េនីស៊ីលីន'],
  cephalosporins: ['cephalosporin', 'cephalosporins', 'cephalosporine', 'cephalosporines', 'សេហ្វាឡូស្ប៉ូរីន'],
  carbapenems: ['carbapenem', 'carbapenems', 'carbapeneme', 'carbapenemes'],
  sulfonamides: [
    'sulfa',
    'sulpha',
    'sulfonamide',
    'sulfonamides',
    'sulphonamide',
    'sulphonamides',
    'sulfamide',
    'sulfamides',
    'ស៊ុលហ្វា',
  ],
  nsaids: ['nsaid', 'nsaids', 'ains', 'anti-inflammatoire', 'anti-inflammatoires', 'anti-inflammatory', 'ថ្នាំប្រឆាំងរលាក'],
  macrolides: ['macrolide', 'macrolides'],
  quinolones: ['quinolone', 'quinolones', 'fluoroquinolone', 'fluoroquinolones'],
  tetracyclines: ['tetracyclines', 'cyclines'],
  aminoglycosides: ['aminoglycoside', 'aminoglycosides', 'aminoside', 'aminosides'],
  opioids: ['opioid', 'opioids', 'opiate', 'opiates', 'opioide', 'opioides', 'morphinique', 'morphiniques'],
};
/** Khmer names of common allergens (the lexicon is Latin-script). */
const KHMER_ALLERGENS: Record<string, string> = {
  អាម៉ុកស៊ីស៊ីលីន: 'amoxicillin',
  អាស្ពីរីន: 'acetylsalicylic-acid',
  ប៉ារ៉ាសេតាម៉ុល: 'paracetamol',
  អ៊ីប៊ុយប្រូហ្វែន: 'ibuprofen',
};
/** Cross-reactivity worth a warning (the allergy family → another family). */
const CROSS: Record<string, string[]> = {
  penicillins: ['cephalosporins', 'carbapenems'],
  cephalosporins: ['penicillins'],
};

const PREGNANT = ['pregnant', 'pregnancy', 'enceinte', 'grossesse', 'មានផ្ទៃពោះ', 'មានគភ៌', 'ពពោះ'];
const BREASTFEEDING = [
  'breastfeeding',
  'breast-feeding',
  'breast feeding',
  'lactation',
  'lactating',
  'allaitement',
  'allaite',
  'បំបៅដោះ',
];

const norm = (s: string): string => foldKey(s).replace(/\s+/g, ' ').trim();

export class SafetyEngine {
  constructor(
    private readonly kb: KnowledgeBase,
    private readonly language: Language,
  ) {}

  check(medicines: readonly MedicineInput[], patient: PatientFacts): SafetyAlert[] {
    const meds = medicines.map((m, index) => this.resolve(m, index));
    const alerts = [
      ...this.duplicatesAndInteractions(meds),
      ...this.maxDoses(meds),
      ...this.allergies(meds, patient),
      ...this.pregnancy(meds, patient),
    ];
    return alerts.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.kind.localeCompare(b.kind));
  }

  /**
   * The knowledge-base product a medicine line names, or undefined. The name the patient
   * confirmed comes first: a lexicon id stored by the reader goes stale when she corrects the
   * name on the review screen (a corrected "Warfarin" must not be checked as the misread drug).
   */
  resolveProduct(m: Pick<MedicineInput, 'drugId' | 'genericName' | 'name'>): Ingredient | undefined {
    const named = this.byName(m.name);
    if (named) return named;
    if (m.drugId) {
      const byId = this.kb.get(m.drugId);
      if (byId) return byId;
    }
    return this.byName(m.genericName);
  }

  private byName(text: string | null | undefined): Ingredient | undefined {
    if (!text) return undefined;
    const id = this.kb.idByName(text);
    if (id) return this.kb.get(id);
    const hit = this.kb.lexicon.match(text);
    return hit && hit.similarity >= 0.85 ? this.kb.get(hit.drug.id) : undefined;
  }

  private resolve(input: MedicineInput, index: number): Resolved {
    const product = this.resolveProduct(input);
    const ingredients = new Set(product ? this.kb.ingredientIds(product.id) : []);
    const keys = new Set<string>(ingredients);
    for (const id of ingredients) for (const g of this.kb.get(id)?.groups ?? []) keys.add(`group:${g}`);
    const local = input.form !== null && input.form !== undefined && LOCAL_FORMS.has(input.form.toLowerCase());
    return { input, index, product, ingredients, keys, local };
  }

  private label(r: Resolved): string {
    return r.input.name;
  }

  private duplicatesAndInteractions(meds: Resolved[]): SafetyAlert[] {
    const out: SafetyAlert[] = [];
    const systemic = meds.filter((m) => m.product && !m.local);
    // the same ingredient in several medicines (one alert per ingredient)
    const byIngredient = new Map<string, Resolved[]>();
    for (const m of systemic)
      for (const id of m.ingredients) {
        if (this.kb.get(id)?.kind !== 'medicine') continue;
        byIngredient.set(id, [...(byIngredient.get(id) ?? []), m]);
      }
    for (const [id, list] of byIngredient) {
      if (list.length < 2 || !list.some((m) => m.input.origin === 'review')) continue;
      // a combination product and one of its components both listed: reported once, for the component
      const ing = this.kb.get(id);
      if (!ing || ing.components.length > 0) continue;
      out.push({
        kind: 'duplicate_therapy',
        severity: 'major',
        drugs: list.map((m) => this.label(m)),
        message: sameIngredientMessage(
          this.language,
          list.map((m) => this.label(m)),
          ing.name,
        ),
        source: this.kb.sourceText(ing.sources),
        rule: `ingredient:${id}`,
      });
    }
    // pairs: the most severe rule per pair
    for (let i = 0; i < systemic.length; i++) {
      for (let j = i + 1; j < systemic.length; j++) {
        const a = systemic[i];
        const b = systemic[j];
        if (!a || !b) continue;
        if (a.input.origin !== 'review' && b.input.origin !== 'review') continue;
        if ([...a.ingredients].some((x) => b.ingredients.has(x))) continue; // reported as the same ingredient
        const rule = this.bestRule(a, b);
        if (!rule) continue;
        // two of one therapeutic class is duplicate therapy; two QT-prolonging or serotonergic drugs an interaction
        const sameGroup = rule.a === rule.b && rule.a.startsWith('group:') && !MECHANISM_GROUPS.has(rule.a);
        out.push({
          kind: sameGroup || rule.effect === 'duplicate' ? 'duplicate_therapy' : 'interaction',
          severity: rule.severity,
          drugs: [this.label(a), this.label(b)],
          message: interactionMessage(this.language, [this.label(a), this.label(b)], rule.effect),
          source: this.kb.sourceText(rule.sources),
          rule: rule.id,
        });
      }
    }
    return out;
  }

  private bestRule(a: Resolved, b: Resolved): Interaction | undefined {
    let best: Interaction | undefined;
    for (const r of this.kb.rulesFor(a.keys)) {
      const hit = (a.keys.has(r.a) && b.keys.has(r.b)) || (a.keys.has(r.b) && b.keys.has(r.a));
      if (!hit) continue;
      const specific = (r: Interaction): number =>
        (r.a.startsWith('group:') ? 0 : 1) + (r.b.startsWith('group:') ? 0 : 1);
      if (
        !best ||
        severityRank(r.severity) > severityRank(best.severity) ||
        (r.severity === best.severity && specific(r) > specific(best))
      )
        best = r;
    }
    return best;
  }

  private maxDoses(meds: Resolved[]): SafetyAlert[] {
    const totals = new Map<string, { mg: number; drugs: Resolved[] }>();
    for (const m of meds) {
      if (!m.product || m.local) continue;
      const units =
        m.input.schedule.morning + m.input.schedule.noon + m.input.schedule.evening + m.input.schedule.night;
      if (units <= 0) continue;
      for (const [id, mg] of this.strengthPerUnit(m)) {
        const t = totals.get(id) ?? { mg: 0, drugs: [] };
        t.mg += mg * units;
        t.drugs.push(m);
        totals.set(id, t);
      }
    }
    const out: SafetyAlert[] = [];
    for (const [id, t] of totals) {
      const ing = this.kb.get(id);
      if (!ing || ing.max_daily_mg === null || !t.drugs.some((m) => m.input.origin === 'review')) continue;
      if (t.mg <= ing.max_daily_mg + 1e-9) continue;
      const names = t.drugs.map((m) => this.label(m));
      out.push({
        kind: 'max_dose',
        severity: t.mg >= ing.max_daily_mg * 2 ? 'contraindicated' : 'major',
        drugs: names,
        message: maxDoseMessage(this.language, names, ing.name, Math.round(t.mg * 100) / 100, ing.max_daily_mg),
        source: this.kb.sourceText(ing.max_daily_sources ?? ing.sources),
        rule: `max_daily_mg:${id}`,
      });
    }
    return out;
  }

  /** mg of each ingredient in one unit (tablet, capsule…), from the strength text; empty when unknown. */
  strengthPerUnit(m: Pick<Resolved, 'input' | 'product'>): Map<string, number> {
    const out = new Map<string, number>();
    const strength = m.input.strength?.replace(/\s+/g, '').toLowerCase();
    const form = m.input.form?.toLowerCase() ?? null;
    if (!strength || !m.product || strength.includes('/') || strength.includes('%')) return out;
    if (form !== null && !UNIT_FORMS.has(form)) return out;
    const parts = strength.split('+').map(toMg);
    const names = m.product.name.split(' + ');
    if (parts.length === 1 && names.length === 1) {
      if (parts[0] !== null && parts[0] !== undefined) out.set(m.product.id, parts[0]);
      return out;
    }
    if (parts.length !== names.length) return out;
    names.forEach((n, i) => {
      const id = this.kb.idByName(n);
      const mg = parts[i];
      if (id && mg !== null && mg !== undefined) out.set(id, mg);
    });
    return out;
  }

  private allergies(meds: Resolved[], patient: PatientFacts): SafetyAlert[] {
    const out: SafetyAlert[] = [];
    for (const raw of patient.allergies) {
      const text = norm(raw);
      if (text === '') continue;
      const families = new Set<string>();
      for (const [fam, words] of Object.entries(ALLERGY_WORDS)) {
        if (words.some((w) => text === w || text.split(/[\s,;/()]+/).includes(w))) families.add(fam);
      }
      let allergenId: string | undefined = KHMER_ALLERGENS[raw.trim()];
      if (!allergenId && families.size === 0) allergenId = this.resolveProduct({ name: raw })?.id;
      const allergenIngredients = new Set(allergenId ? this.kb.ingredientIds(allergenId) : []);
      for (const id of allergenIngredients) for (const f of this.kb.get(id)?.allergy_groups ?? []) families.add(f);
      for (const m of meds) {
        if (!m.product || m.input.origin !== 'review') continue;
        let match: AllergyMatch | null = null;
        if ([...m.ingredients].some((x) => allergenIngredients.has(x) && this.kb.get(x)?.kind === 'medicine'))
          match = 'same';
        const fams = new Set([...m.ingredients].flatMap((x) => this.kb.get(x)?.allergy_groups ?? []));
        if (!match && [...fams].some((f) => families.has(f))) match = 'family';
        if (!match && [...families].some((f) => (CROSS[f] ?? []).some((c) => fams.has(c)))) match = 'cross';
        if (!match) continue;
        const severity: Severity = match === 'cross' ? 'moderate' : 'contraindicated';
        out.push({
          kind: 'allergy',
          severity,
          drugs: [this.label(m)],
          message: allergyMessage(this.language, this.label(m), raw.trim(), match),
          source: this.kb.sourceText(['bnf', 'fda-label']),
          rule: `allergy:${[...families].sort().join('+') || allergenId || ''}`,
        });
      }
    }
    return out;
  }

  private pregnancy(meds: Resolved[], patient: PatientFacts): SafetyAlert[] {
    if (patient.gender === 'male') return [];
    const conditions = patient.conditions.map(norm);
    const has = (words: string[]): boolean => conditions.some((c) => words.some((w) => c.includes(w)));
    const states: Array<'pregnancy' | 'breastfeeding'> = [];
    if (has(PREGNANT)) states.push('pregnancy');
    if (has(BREASTFEEDING)) states.push('breastfeeding');
    const out: SafetyAlert[] = [];
    for (const state of states) {
      for (const m of meds) {
        if (!m.product || m.input.origin !== 'review' || m.local) continue;
        const levels = [...m.ingredients]
          .map((x) => this.kb.get(x)?.[state])
          .filter((x): x is NonNullable<typeof x> => !!x);
        const order = ['caution', 'avoid', 'contraindicated'] as const;
        const level = levels.sort((x, y) => order.indexOf(y) - order.indexOf(x))[0];
        if (!level) continue;
        const severity: Severity =
          level === 'contraindicated' ? 'contraindicated' : level === 'avoid' ? 'major' : 'moderate';
        out.push({
          kind: 'pregnancy',
          severity: state === 'breastfeeding' && severity === 'contraindicated' ? 'major' : severity,
          drugs: [this.label(m)],
          message: pregnancyMessage(this.language, this.label(m), level, state),
          source: this.kb.sourceText(m.product.sources.filter((s) => s === 'bnf' || s === 'fda-label')),
          rule: `${state}:${m.product.id}`,
        });
      }
    }
    return out;
  }
}

function toMg(part: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(mg|g|mcg|µg)$/.exec(part);
  if (!m || m[1] === undefined) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'g':
      return n * 1000;
    case 'mcg':
    case 'µg':
      return n / 1000;
    default:
      return n;
  }
}
