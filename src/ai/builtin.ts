/**
 * The built-in assistant: deterministic intent recognition (km/en/fr) and answers composed
 * from the drug knowledge base and the user's own confirmed medicines, schedule and adherence.
 * No model, no network: the same question on the same record gives the same answer.
 */
import { foldKey } from '../reading/lexicon/ocr-distance.ts';
import { knowledgeBase, type Ingredient, type KnowledgeBase } from '../safety/knowledge.ts';
import { SafetyEngine, type MedicineInput } from '../safety/engine.ts';
import { EFFECTS, type Language } from '../safety/messages.ts';
import { t } from '../i18n/index.ts';
import { classPurpose } from './purposes.ts';
import type { AssistantAnswer, AssistantProvider, AssistantRequest, RecordMedicine } from './provider.ts';

export type Intent =
  'interaction' | 'food' | 'missed_dose' | 'why_two' | 'purpose' | 'schedule' | 'adherence' | 'list' | 'help';

const fold = (s: string): string => foldKey(s).replace(/[’‘`]/g, "'");

const INTENT_PATTERNS: Array<[Intent, RegExp]> = [
  ['missed_dose', /\b(miss(ed)?|forg[eo]t|forgotten|oubli\w*|pas pris)\b|ភ្លេច|មិនបានលេប/],
  [
    'food',
    /\b(milk|dairy|alcohol|beer|wine|drink|food|meal|eat|empty stomach|lait|alcool|biere|vin|boire|repas|manger|a jeun)\b|ទឹកដោះគោ|ស្រា|បៀរ|អាហារ|បាយ|ញ៉ាំ|ពោះទទេ/,
  ],
  [
    'why_two',
    /\b(why (do i|should i|must i)? ?(take )?(two|2|twice|both)|two (pills|tablets|medicines)|pourquoi (deux|2)|deux (comprimes|medicaments))\b|ហេតុអ្វី.*(ពីរ|២)/,
  ],
  [
    'interaction',
    /\b(with|together|and|avec|ensemble|et)\b.*\b(take|taking|prendre|mix)\b|\b(take|taking|prendre|mix)\b.*\b(with|together|avec|ensemble)\b|\binteract\w*|ជាមួយគ្នា|ជាមួយ/,
  ],
  [
    'purpose',
    /\b(what (is|are) (it|this|these|they|\w+) for|for what|what does (it|this|\w+) do|used for|a quoi (sert|servent)|pour quoi faire|ca sert a quoi|c'est pour quoi)\b|សម្រាប់អ្វី|ព្យាបាលអ្វី|ប្រើសម្រាប់/,
  ],
  [
    'schedule',
    /\b(when|what time|how often|schedule|quand|quelle heure|a quelle heure|combien de fois)\b|ពេលណា|ម៉ោងប៉ុន្មាន|ប៉ុន្មានដង/,
  ],
  [
    'adherence',
    /\b(how am i doing|adherence|how (many|often) .*(missed|taken)|observance|combien .*(oublie|pris))\b|ទៀងទាត់|លេបបានប៉ុន្មាន/,
  ],
  [
    'list',
    /\b(my (medicines|medications|pills|tablets|drugs)|what (medicines|pills) do i|mes medicaments|mon traitement)\b|ថ្នាំរបស់ខ្ញុំ|ថ្នាំអ្វីខ្លះ/,
  ],
];

export function recognise(question: string): Intent {
  const t = fold(question);
  for (const [intent, re] of INTENT_PATTERNS) if (re.test(t)) return intent;
  return 'help';
}

const SLOTS = ['morning', 'noon', 'evening', 'night'] as const;

function scheduleText(lang: Language, m: RecordMedicine): string {
  const parts = SLOTS.filter((s) => m.schedule[s] > 0).map((s) => {
    const time = m.times[s] ? ` (${m.times[s]})` : '';
    return `${t(lang, `slot.${s}`)}${time}: ${m.schedule[s]}`;
  });
  return parts.join(', ');
}

export class BuiltinProvider implements AssistantProvider {
  readonly name = 'builtin';
  constructor(private readonly kb: KnowledgeBase = knowledgeBase()) {}

  answer(request: AssistantRequest): AssistantAnswer {
    const text = this.compose(request);
    // sentence by sentence, so a stream shows progress like a model's would
    const pieces = text.match(/[^.!?។]+[.!?។]*\s*/g) ?? [text];
    return {
      model: 'dastern-builtin-1',
      chunks: (async function* () {
        for (const p of pieces) yield p;
      })(),
    };
  }

  compose(r: AssistantRequest): string {
    const intent = recognise(r.question);
    const mentioned = this.mentioned(r);
    const L = r.language;
    switch (intent) {
      case 'missed_dose':
        return this.missedDose(L, mentioned.record.length > 0 ? mentioned.record : r.medicines);
      case 'food':
        return this.food(L, r.question, mentioned.record.length > 0 ? mentioned.record : r.medicines);
      case 'why_two':
        return this.whyTwo(L, mentioned.record.length > 0 ? mentioned.record : r.medicines);
      case 'interaction':
        return this.interaction(L, mentioned, r.medicines);
      case 'purpose':
        return this.purpose(
          L,
          mentioned.record.length > 0 || mentioned.other.length > 0 ? mentioned : { record: r.medicines, other: [] },
        );
      case 'schedule':
        return this.schedule(L, mentioned.record.length > 0 ? mentioned.record : r.medicines);
      case 'adherence':
        return this.adherence(L, r.medicines);
      case 'list':
        return this.schedule(L, r.medicines);
      default:
        return this.help(L, r.medicines);
    }
  }

  /** The user's medicines the question names, and other knowledge-base medicines it names. */
  mentioned(r: AssistantRequest): { record: RecordMedicine[]; other: Ingredient[] } {
    const q = ` ${fold(r.question).replace(/[^a-z0-9\u1780-\u17ff]+/g, ' ')} `;
    const record = r.medicines.filter((m) => {
      const names = [m.name, m.genericName ?? '', m.productId ? (this.kb.get(m.productId)?.name ?? '') : '']
        .map(
          (n) =>
            fold(n)
              .replace(/[^a-z0-9]+/g, ' ')
              .trim()
              .split(' ')[0] ?? '',
        )
        .filter((n) => n.length >= 4);
      return names.some((n) => q.includes(` ${n}`));
    });
    const other: Ingredient[] = [];
    const recordIds = new Set(record.map((m) => m.productId));
    // exact names only (any spelling or brand of the lexicon): fast, and no fuzzy false friend
    const words = q.split(' ').filter((w) => w !== '');
    for (let i = 0; i < words.length; i++) {
      for (const span of [words[i] ?? '', `${words[i] ?? ''} ${words[i + 1] ?? ''}`.trim()]) {
        if (span.length < 4) continue;
        const ing = this.kb.findExact(span);
        if (ing && ing.kind === 'medicine' && !recordIds.has(ing.id) && !other.some((o) => o.id === ing.id))
          other.push(ing);
      }
    }
    return { record, other };
  }

  private nameOf(m: RecordMedicine): string {
    const generic = m.productId ? this.kb.get(m.productId)?.name : m.genericName;
    return generic && fold(generic) !== fold(m.name) ? `${m.name} (${generic})` : m.name;
  }

  private none(L: Language): string {
    return t(L, 'assistant.none');
  }

  private purposeOf(L: Language, ing: Ingredient | undefined): string {
    return classPurpose(L, ing?.class) ?? t(L, 'assistant.purpose.unknown');
  }

  private purpose(L: Language, m: { record: RecordMedicine[]; other: Ingredient[] }): string {
    if (m.record.length === 0 && m.other.length === 0) return this.none(L);
    const lines = [
      ...m.record.map(
        (x) => `${this.nameOf(x)}: ${this.purposeOf(L, x.productId ? this.kb.get(x.productId) : undefined)}.`,
      ),
      ...m.other.map((x) => `${x.name}: ${this.purposeOf(L, x)}.`),
    ];
    const tail = t(L, 'assistant.purpose.tail');
    return `${lines.join(' ')} ${tail}`;
  }

  private schedule(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const head = t(L, 'assistant.schedule.head');
    const doses = (m: RecordMedicine): string => {
      const text = scheduleText(L, m);
      if (m.takeAfterMeal) return t(L, 'assistant.schedule.after_meal', { doses: text });
      return m.takeBeforeMeal ? t(L, 'assistant.schedule.before_meal', { doses: text }) : text;
    };
    return `${head} ${meds.map((m) => `${this.nameOf(m)}${m.strength ? ` ${m.strength}` : ''}: ${doses(m)}.`).join(' ')}`;
  }

  private missedDose(L: Language, meds: RecordMedicine[]): string {
    const rule = t(L, 'assistant.missed.rule');
    const special = meds.filter((m) => {
      const ing = m.productId ? this.kb.get(m.productId) : undefined;
      return (
        ing !== undefined &&
        ['anticoagulant', 'contraceptive', 'insulin', 'antiretroviral', 'anticonvulsant'].includes(ing.class ?? '')
      );
    });
    const next =
      meds.length === 0
        ? ''
        : ` ${t(L, 'assistant.missed.times', { times: meds.map((m) => `${this.nameOf(m)}: ${scheduleText(L, m)}`).join('; ') })}`;
    const warn =
      special.length === 0
        ? ''
        : ` ${t(L, 'assistant.missed.special', { names: special.map((m) => this.nameOf(m)).join(', ') })}`;
    return `${rule}${warn}${next}`;
  }

  private food(L: Language, question: string, meds: RecordMedicine[]): string {
    const q = fold(question);
    const foodId = /\b(alcohol|beer|wine|alcool|biere|vin)\b|ស្រា|បៀរ/.test(q)
      ? 'alcohol'
      : /\b(milk|dairy|lait)\b|ទឹកដោះគោ/.test(q)
        ? 'milk'
        : null;
    if (meds.length === 0) return this.none(L);
    const lines: string[] = [];
    if (foodId) {
      const food = this.kb.get(foodId);
      const engine = new SafetyEngine(this.kb, L);
      for (const m of meds) {
        const product = engine.resolveProduct({ drugId: m.productId, genericName: m.genericName, name: m.name });
        if (!product || !food) continue;
        const keys = new Set(
          this.kb
            .ingredientIds(product.id)
            .flatMap((id) => [id, ...(this.kb.get(id)?.groups ?? []).map((g) => `group:${g}`)]),
        );
        const foodKeys = new Set([food.id, ...food.groups.map((g) => `group:${g}`)]);
        const rule = this.kb
          .rulesFor(keys)
          .find((x) => (keys.has(x.a) && foodKeys.has(x.b)) || (keys.has(x.b) && foodKeys.has(x.a)));
        if (rule) lines.push(`${this.nameOf(m)}: ${EFFECTS[rule.effect]?.[L] ?? rule.note}.`);
      }
      if (lines.length === 0) {
        lines.push(foodId === 'alcohol' ? t(L, 'assistant.food.no_alcohol') : t(L, 'assistant.food.no_milk'));
      }
    }
    const meals = meds
      .filter((m) => m.takeAfterMeal || m.takeBeforeMeal)
      .map(
        (m) => `${this.nameOf(m)}: ${m.takeAfterMeal ? t(L, 'assistant.meal.after') : t(L, 'assistant.meal.before')}.`,
      );
    const instr = meds.filter((m) => m.instructions).map((m) => `${this.nameOf(m)}: “${m.instructions ?? ''}”.`);
    const tail = t(L, 'assistant.food.tail');
    return [...lines, ...meals, ...instr, tail].join(' ');
  }

  private whyTwo(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const lines = meds.map((m) => {
      const per = Math.max(m.schedule.morning, m.schedule.noon, m.schedule.evening, m.schedule.night);
      const times = SLOTS.filter((s) => m.schedule[s] > 0).length;
      const ing = m.productId ? this.kb.get(m.productId) : undefined;
      return `${this.nameOf(m)} (${this.purposeOf(L, ing)}): ${scheduleText(L, m)} — ${t(L, 'assistant.why_two.doses', { per, times })}.`;
    });
    const why = t(L, 'assistant.why_two.why');
    return `${lines.join(' ')} ${why}`;
  }

  private interaction(
    L: Language,
    m: { record: RecordMedicine[]; other: Ingredient[] },
    all: RecordMedicine[],
  ): string {
    const asInput = (x: RecordMedicine, origin: MedicineInput['origin']): MedicineInput => ({
      name: this.nameOf(x),
      drugId: x.productId,
      genericName: x.genericName,
      strength: null,
      form: x.form,
      schedule: x.schedule,
      origin,
    });
    // the medicines named, against the rest of her record
    const review: MedicineInput[] = [
      ...m.record.map((x) => asInput(x, 'review')),
      ...m.other.map((x) => ({
        name: x.name,
        drugId: x.id,
        strength: null,
        form: null,
        schedule: { morning: 0, noon: 0, evening: 0, night: 0 },
        origin: 'review' as const,
      })),
    ];
    if (review.length === 0) return this.help(L, all);
    const named = new Set(m.record);
    const rest = all.filter((x) => !named.has(x)).map((x) => asInput(x, 'active'));
    const alerts = new SafetyEngine(this.kb, L)
      .check([...review, ...rest], { allergies: [], conditions: [] })
      .filter((a) => a.kind === 'interaction' || a.kind === 'duplicate_therapy');
    if (alerts.length === 0) {
      return t(L, 'assistant.interaction.none', { names: review.map((x) => x.name).join(', ') });
    }
    return alerts.map((a) => a.message).join(' ');
  }

  private adherence(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const lines = meds.map((m) => {
      const a = m.adherence;
      const done = a.taken + a.missed + a.skipped;
      if (done === 0) return `${this.nameOf(m)}: ${t(L, 'assistant.adherence.none')}.`;
      return `${this.nameOf(m)}: ${t(L, 'assistant.adherence.doses', { taken: a.taken, done, rate: a.rate ?? 0, missed: a.missed })}.`;
    });
    const tip = t(L, 'assistant.adherence.tip');
    return `${lines.join(' ')} ${tip}`;
  }

  private help(L: Language, meds: RecordMedicine[]): string {
    const can = t(L, 'assistant.help.can');
    const list =
      meds.length === 0 ? '' : ` ${t(L, 'assistant.help.list', { names: meds.map((m) => this.nameOf(m)).join(', ') })}`;
    return `${can}${list}`;
  }
}
