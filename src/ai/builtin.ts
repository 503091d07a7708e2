/**
 * The built-in assistant: deterministic intent recognition (km/en/fr) and answers composed
 * from the drug knowledge base and the user's own confirmed medicines, schedule and adherence.
 * No model, no network: the same question on the same record gives the same answer.
 */
import { foldKey } from '../reading/lexicon/ocr-distance.ts';
import { knowledgeBase, type Ingredient, type KnowledgeBase } from '../safety/knowledge.ts';
import { SafetyEngine, type MedicineInput } from '../safety/engine.ts';
import { EFFECTS, type Language } from '../safety/messages.ts';
import { CLASS_PURPOSE } from './purposes.ts';
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

const SLOT_NAMES: Record<Language, Record<string, string>> = {
  en: { morning: 'morning', noon: 'noon', evening: 'evening', night: 'night' },
  fr: { morning: 'matin', noon: 'midi', evening: 'soir', night: 'nuit' },
  km: { morning: 'ព្រឹក', noon: 'ថ្ងៃត្រង់', evening: 'ល្ងាច', night: 'យប់' },
};
const SLOTS = ['morning', 'noon', 'evening', 'night'] as const;

function scheduleText(lang: Language, m: RecordMedicine): string {
  const parts = SLOTS.filter((s) => m.schedule[s] > 0).map((s) => {
    const time = m.times[s] ? ` (${m.times[s]})` : '';
    return `${SLOT_NAMES[lang][s]}${time}: ${m.schedule[s]}`;
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
    return {
      en: 'I do not see any confirmed medicine in your record yet. Confirm a prescription first, then ask me again.',
      fr: 'Je ne vois encore aucun médicament confirmé dans votre dossier. Confirmez d’abord une ordonnance, puis reposez la question.',
      km: 'ខ្ញុំមិនទាន់ឃើញថ្នាំដែលបានបញ្ជាក់ក្នុងកំណត់ត្រារបស់អ្នកនៅឡើយទេ។ សូមបញ្ជាក់វេជ្ជបញ្ជាជាមុនសិន រួចសួរម្តងទៀត។',
    }[L];
  }

  private purposeOf(L: Language, ing: Ingredient | undefined): string {
    const phrase = ing?.class ? CLASS_PURPOSE[ing.class]?.[L] : undefined;
    return (
      phrase ??
      {
        en: 'is a medicine your doctor prescribed; ask your pharmacist what it is for',
        fr: 'est un médicament prescrit par votre médecin ; demandez à votre pharmacien à quoi il sert',
        km: 'ជាថ្នាំដែលគ្រូពេទ្យចេញឱ្យ៖ សូមសួរឱសថការីថាវាសម្រាប់អ្វី',
      }[L]
    );
  }

  private purpose(L: Language, m: { record: RecordMedicine[]; other: Ingredient[] }): string {
    if (m.record.length === 0 && m.other.length === 0) return this.none(L);
    const lines = [
      ...m.record.map(
        (x) => `${this.nameOf(x)}: ${this.purposeOf(L, x.productId ? this.kb.get(x.productId) : undefined)}.`,
      ),
      ...m.other.map((x) => `${x.name}: ${this.purposeOf(L, x)}.`),
    ];
    const tail = {
      en: 'Your doctor chose it for your situation; ask him if you are unsure why.',
      fr: 'Votre médecin l’a choisi pour votre situation ; demandez-lui si vous ne savez pas pourquoi.',
      km: 'គ្រូពេទ្យបានជ្រើសវាសម្រាប់ស្ថានភាពរបស់អ្នក៖ សូមសួរគាត់ប្រសិនបើមិនច្បាស់។',
    }[L];
    return `${lines.join(' ')} ${tail}`;
  }

  private schedule(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const head = {
      en: 'Your medicines as your doctor prescribed them (doses per time of day):',
      fr: 'Vos médicaments tels que prescrits (doses par moment de la journée) :',
      km: 'ថ្នាំរបស់អ្នកតាមវេជ្ជបញ្ជា (ចំនួនក្នុងមួយពេល)៖',
    }[L];
    const meal = (m: RecordMedicine): string =>
      m.takeAfterMeal
        ? { en: ', after a meal', fr: ', après le repas', km: ' ក្រោយអាហារ' }[L]
        : m.takeBeforeMeal
          ? { en: ', before a meal', fr: ', avant le repas', km: ' មុនអាហារ' }[L]
          : '';
    return `${head} ${meds.map((m) => `${this.nameOf(m)}${m.strength ? ` ${m.strength}` : ''}: ${scheduleText(L, m)}${meal(m)}.`).join(' ')}`;
  }

  private missedDose(L: Language, meds: RecordMedicine[]): string {
    const rule = {
      en: 'If you missed a dose: take it as soon as you remember, unless it is almost time for the next one; then skip the missed dose and take the next one at the usual time. Never take a double dose to make up for a missed one.',
      fr: 'Si vous avez oublié une dose : prenez-la dès que vous y pensez, sauf s’il est presque l’heure de la suivante ; dans ce cas, sautez la dose oubliée et prenez la suivante à l’heure habituelle. Ne prenez jamais une double dose pour compenser.',
      km: 'ប្រសិនបើអ្នកភ្លេចលេបម្តង៖ សូមលេបភ្លាមពេលនឹកឃើញ លើកលែងតែជិតដល់ពេលលេបលើកក្រោយ។ ក្នុងករណីនោះ រំលងលើកដែលភ្លេច ហើយលេបលើកក្រោយតាមម៉ោងធម្មតា។ កុំលេបទ្វេដងដើម្បីសងវិញ។',
    }[L];
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
        : ` ${{ en: 'Your times:', fr: 'Vos horaires :', km: 'ម៉ោងលេបថ្នាំរបស់អ្នក៖' }[L]} ${meds.map((m) => `${this.nameOf(m)}: ${scheduleText(L, m)}`).join('; ')}.`;
    const warn =
      special.length === 0
        ? ''
        : ` ${{ en: 'For', fr: 'Pour', km: 'សម្រាប់' }[L]} ${special.map((m) => this.nameOf(m)).join(', ')}${{ en: ', a missed dose has its own rules: ask your pharmacist or doctor today.', fr: ', une dose oubliée a ses propres règles : demandez aujourd’hui à votre pharmacien ou médecin.', km: ' ការភ្លេចលេបមានច្បាប់ដោយឡែក៖ សូមសួរឱសថការី ឬគ្រូពេទ្យនៅថ្ងៃនេះ។' }[L]}`;
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
        lines.push(
          foodId === 'alcohol'
            ? {
                en: 'I found no known interaction between your medicines and alcohol, but alcohol is best avoided while you are ill and it can make you drowsy.',
                fr: 'Je ne trouve pas d’interaction connue entre vos médicaments et l’alcool, mais mieux vaut l’éviter pendant la maladie ; il peut aussi endormir.',
                km: 'ខ្ញុំមិនឃើញអន្តរកម្មដែលគេស្គាល់ រវាងថ្នាំរបស់អ្នក និងស្រាទេ ប៉ុន្តែគួរជៀសវាងស្រាពេលឈឺ ព្រោះវាអាចធ្វើឱ្យងងុយគេង។',
              }[L]
            : {
                en: 'I found no known interaction between your medicines and milk.',
                fr: 'Je ne trouve pas d’interaction connue entre vos médicaments et le lait.',
                km: 'ខ្ញុំមិនឃើញអន្តរកម្មដែលគេស្គាល់ រវាងថ្នាំរបស់អ្នក និងទឹកដោះគោទេ។',
              }[L],
        );
      }
    }
    const meals = meds
      .filter((m) => m.takeAfterMeal || m.takeBeforeMeal)
      .map(
        (m) =>
          `${this.nameOf(m)}: ${m.takeAfterMeal ? { en: 'after a meal', fr: 'après le repas', km: 'ក្រោយអាហារ' }[L] : { en: 'before a meal', fr: 'avant le repas', km: 'មុនអាហារ' }[L]}.`,
      );
    const instr = meds.filter((m) => m.instructions).map((m) => `${this.nameOf(m)}: “${m.instructions ?? ''}”.`);
    const tail = {
      en: 'Follow the instructions on your prescription; your pharmacist can tell you more.',
      fr: 'Suivez les indications de votre ordonnance ; votre pharmacien peut vous en dire plus.',
      km: 'សូមធ្វើតាមការណែនាំក្នុងវេជ្ជបញ្ជា៖ ឱសថការីអាចប្រាប់អ្នកបន្ថែម។',
    }[L];
    return [...lines, ...meals, ...instr, tail].join(' ');
  }

  private whyTwo(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const lines = meds.map((m) => {
      const per = Math.max(m.schedule.morning, m.schedule.noon, m.schedule.evening, m.schedule.night);
      const times = SLOTS.filter((s) => m.schedule[s] > 0).length;
      const ing = m.productId ? this.kb.get(m.productId) : undefined;
      return `${this.nameOf(m)} (${this.purposeOf(L, ing)}): ${scheduleText(L, m)}${{ en: ` — ${per} at a time, ${times} time(s) a day`, fr: ` — ${per} à la fois, ${times} fois par jour`, km: ` — ម្តង ${per} ក្នុងមួយថ្ងៃ ${times} ដង` }[L]}.`;
    });
    const why = {
      en: 'The amount and the number of times a day are what your doctor decided, so that enough medicine stays in your body all day. Two different medicines usually treat two different things, or work together. Do not change the dose yourself; ask your doctor if it worries you.',
      fr: 'La quantité et le nombre de prises par jour ont été décidés par votre médecin, pour garder assez de médicament dans le corps toute la journée. Deux médicaments différents traitent en général deux choses différentes, ou agissent ensemble. Ne changez pas la dose vous-même ; demandez à votre médecin si cela vous inquiète.',
      km: 'ចំនួនថ្នាំ និងចំនួនដងក្នុងមួយថ្ងៃ គឺគ្រូពេទ្យជាអ្នកសម្រេច ដើម្បីឱ្យមានថ្នាំគ្រប់គ្រាន់ក្នុងខ្លួនពេញមួយថ្ងៃ។ ថ្នាំពីរផ្សេងគ្នាជាធម្មតាព្យាបាលបញ្ហាពីរផ្សេងគ្នា ឬធ្វើការរួមគ្នា។ កុំប្តូរកម្រិតថ្នាំដោយខ្លួនឯង៖ សូមសួរគ្រូពេទ្យប្រសិនបើអ្នកព្រួយបារម្ភ។',
    }[L];
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
      return {
        en: `I found no known interaction for ${review.map((x) => x.name).join(', ')} with your other medicines in DasTern’s reference. That does not prove it is safe: ask your pharmacist before taking something new.`,
        fr: `Je ne trouve pas d’interaction connue pour ${review.map((x) => x.name).join(', ')} avec vos autres médicaments dans la référence de DasTern. Cela ne prouve pas que ce soit sans risque : demandez à votre pharmacien avant de prendre quelque chose de nouveau.`,
        km: `ខ្ញុំមិនឃើញអន្តរកម្មដែលគេស្គាល់ សម្រាប់ ${review.map((x) => x.name).join(', ')} ជាមួយថ្នាំផ្សេងទៀតរបស់អ្នក ក្នុងឯកសារយោងរបស់ DasTern ទេ។ នេះមិនមែនមានន័យថាមានសុវត្ថិភាពទេ៖ សូមសួរឱសថការីមុនលេបថ្នាំថ្មី។`,
      }[L];
    }
    return alerts.map((a) => a.message).join(' ');
  }

  private adherence(L: Language, meds: RecordMedicine[]): string {
    if (meds.length === 0) return this.none(L);
    const lines = meds.map((m) => {
      const a = m.adherence;
      const done = a.taken + a.missed + a.skipped;
      if (done === 0)
        return `${this.nameOf(m)}: ${{ en: 'no dose recorded yet', fr: 'aucune prise enregistrée', km: 'មិនទាន់មានការកត់ត្រា' }[L]}.`;
      return `${this.nameOf(m)}: ${{ en: `${a.taken} of ${done} doses taken (${a.rate ?? 0}%), ${a.missed} missed`, fr: `${a.taken} prises sur ${done} (${a.rate ?? 0} %), ${a.missed} oubliées`, km: `បានលេប ${a.taken} ក្នុងចំណោម ${done} (${a.rate ?? 0}%) ភ្លេច ${a.missed}` }[L]}.`;
    });
    const tip = {
      en: 'Reminders help: keep them on for each time of day.',
      fr: 'Les rappels aident : gardez-les actifs pour chaque moment de la journée.',
      km: 'ការរំលឹកជួយបាន៖ សូមបើកវាសម្រាប់ពេលនីមួយៗ។',
    }[L];
    return `${lines.join(' ')} ${tip}`;
  }

  private help(L: Language, meds: RecordMedicine[]): string {
    const can = {
      en: 'I can tell you what your medicines are for, when to take them, what to do after a missed dose, whether two medicines or milk and alcohol go together, and how regularly you took them.',
      fr: 'Je peux vous dire à quoi servent vos médicaments, quand les prendre, que faire après un oubli, si deux médicaments, le lait ou l’alcool vont ensemble, et avec quelle régularité vous les avez pris.',
      km: 'ខ្ញុំអាចប្រាប់អ្នកថាថ្នាំរបស់អ្នកសម្រាប់អ្វី ពេលណាត្រូវលេប ត្រូវធ្វើអ្វីពេលភ្លេចលេប ថ្នាំពីរ ឬទឹកដោះគោ និងស្រាអាចប្រើជាមួយគ្នាឬទេ និងថាអ្នកលេបថ្នាំបានទៀងទាត់ប៉ុណ្ណា។',
    }[L];
    const list =
      meds.length === 0
        ? ''
        : ` ${{ en: 'Your medicines:', fr: 'Vos médicaments :', km: 'ថ្នាំរបស់អ្នក៖' }[L]} ${meds.map((m) => this.nameOf(m)).join(', ')}.`;
    return `${can}${list}`;
  }
}
