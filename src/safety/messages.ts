/**
 * The sentences of the safety alerts, in Khmer, English and French. Drug names are inserted as
 * the patient sees them; the effect codes are those of knowledge/interactions.json.
 */
export type Language = 'km' | 'en' | 'fr';

export const LANGUAGES: readonly Language[] = ['km', 'en', 'fr'];

export const asLanguage = (v: unknown): Language => (v === 'en' || v === 'fr' || v === 'km' ? v : 'km');

type Phrases = Record<Language, string>;

export const EFFECTS: Record<string, Phrases> = {
  bleeding: { en: 'risk of bleeding', fr: 'risque de saignement', km: 'ហានិភ័យហូរឈាម' },
  qt: {
    en: 'risk of a dangerous heart rhythm',
    fr: 'risque de trouble grave du rythme cardiaque',
    km: 'ហានិភ័យចង្វាក់បេះដូងមិនប្រក្រតីធ្ងន់ធ្ងរ',
  },
  serotonin: {
    en: 'risk of serotonin syndrome (agitation, fever, shaking)',
    fr: 'risque de syndrome sérotoninergique (agitation, fièvre, tremblements)',
    km: 'ហានិភ័យរោគសញ្ញាសេរ៉ូតូនីន (ញ័រ គ្រុនក្តៅ ច្របូកច្របល់)',
  },
  hypertension: {
    en: 'risk of a very high blood pressure',
    fr: 'risque de poussée de tension très forte',
    km: 'ហានិភ័យសម្ពាធឈាមឡើងខ្ពស់ខ្លាំង',
  },
  cns_depression: {
    en: 'strong drowsiness and slowed breathing',
    fr: 'somnolence forte et respiration ralentie',
    km: 'ងងុយគេងខ្លាំង និងដកដង្ហើមយឺត',
  },
  hyperkalemia: {
    en: 'too much potassium in the blood',
    fr: 'trop de potassium dans le sang',
    km: 'ប៉ូតាស្យូមក្នុងឈាមខ្ពស់ពេក',
  },
  duplicate: { en: 'two medicines of the same kind', fr: 'deux médicaments du même type', km: 'ថ្នាំប្រភេទដូចគ្នាពីរ' },
  angioedema: {
    en: 'risk of swelling of the face and throat',
    fr: 'risque de gonflement du visage et de la gorge',
    km: 'ហានិភ័យហើមមុខ និងបំពង់ក',
  },
  kidney: { en: 'risk of kidney damage', fr: 'risque pour les reins', km: 'ហានិភ័យខូចតម្រងនោម' },
  bradycardia: {
    en: 'a heart beat that may become too slow',
    fr: 'un cœur qui peut battre trop lentement',
    km: 'ចង្វាក់បេះដូងអាចយឺតខ្លាំង',
  },
  myopathy: { en: 'risk of muscle damage', fr: 'risque d’atteinte des muscles', km: 'ហានិភ័យខូចសាច់ដុំ' },
  hypotension: {
    en: 'risk of a sudden drop in blood pressure',
    fr: 'risque de chute brutale de la tension',
    km: 'ហានិភ័យសម្ពាធឈាមធ្លាក់ចុះខ្លាំង',
  },
  hypoglycemia: { en: 'risk of low blood sugar', fr: 'risque d’hypoglycémie', km: 'ហានិភ័យជាតិស្ករក្នុងឈាមធ្លាក់ចុះ' },
  absorption: {
    en: 'one stops the other being absorbed: take them some hours apart',
    fr: 'l’un empêche l’autre d’être absorbé : prenez-les à quelques heures d’écart',
    km: 'ថ្នាំមួយរារាំងការស្រូបយកថ្នាំមួយទៀត៖ លេបឱ្យឃ្លាតពីគ្នាពីរបីម៉ោង',
  },
  tendon: { en: 'risk of tendon rupture', fr: 'risque de rupture de tendon', km: 'ហានិភ័យដាច់សរសៃពួរ' },
  ototoxicity: {
    en: 'risk of hearing and kidney damage',
    fr: 'risque pour l’audition et les reins',
    km: 'ហានិភ័យខូចត្រចៀក និងតម្រងនោម',
  },
  reduced_effect: {
    en: 'one may stop the other from working',
    fr: 'l’un peut empêcher l’autre d’agir',
    km: 'ថ្នាំមួយអាចធ្វើឱ្យថ្នាំមួយទៀតលែងមានប្រសិទ្ធភាព',
  },
  toxicity: {
    en: 'the level of one may rise too high (poisoning)',
    fr: 'le taux de l’un peut devenir trop élevé (toxicité)',
    km: 'កម្រិតថ្នាំមួយក្នុងឈាមអាចឡើងខ្ពស់ពេក (ពុល)',
  },
  increased_level: {
    en: 'the level of one rises in the blood',
    fr: 'le taux de l’un augmente dans le sang',
    km: 'កម្រិតថ្នាំមួយក្នុងឈាមកើនឡើង',
  },
  ischemia: {
    en: 'risk of narrowed blood vessels',
    fr: 'risque de rétrécissement des vaisseaux',
    km: 'ហានិភ័យសរសៃឈាមរួមតូច',
  },
  cushing: {
    en: 'risk of steroid side effects (Cushing syndrome)',
    fr: 'risque d’effets des corticoïdes (syndrome de Cushing)',
    km: 'ហានិភ័យផលរំខានពីស្តេរ៉ូអ៊ីត',
  },
  seizures: { en: 'risk of seizures', fr: 'risque de convulsions', km: 'ហានិភ័យប្រកាច់' },
  liver: { en: 'risk of liver damage', fr: 'risque pour le foie', km: 'ហានិភ័យខូចថ្លើម' },
  rash: { en: 'more skin rash', fr: 'plus d’éruptions cutanées', km: 'កន្ទួលលើស្បែកច្រើនជាងមុន' },
  eps: { en: 'risk of abnormal movements', fr: 'risque de mouvements anormaux', km: 'ហានិភ័យចលនាមិនប្រក្រតី' },
  disulfiram: {
    en: 'flushing, vomiting and a racing heart',
    fr: 'rougeur, vomissements et cœur qui s’emballe',
    km: 'ក្តៅមុខ ក្អួត និងបេះដូងលោតញាប់',
  },
  lactic_acidosis: { en: 'risk of lactic acidosis', fr: 'risque d’acidose lactique', km: 'ហានិភ័យអាស៊ីតឡាក់ទិកក្នុងឈាម' },
  uterine: {
    en: 'the womb may contract too strongly',
    fr: 'l’utérus peut se contracter trop fort',
    km: 'ស្បូនអាចកន្ត្រាក់ខ្លាំងពេក',
  },
  ulcer: { en: 'risk of an ulcer in the gut', fr: 'risque d’ulcère digestif', km: 'ហានិភ័យដំបៅក្នុងបំពង់អាហារ' },
};

const ASK: Phrases = {
  en: 'Ask your doctor or pharmacist before taking them together.',
  fr: 'Demandez à votre médecin ou pharmacien avant de les prendre ensemble.',
  km: 'សូមសួរគ្រូពេទ្យ ឬឱសថការីរបស់អ្នក មុនពេលលេបថ្នាំទាំងនេះជាមួយគ្នា។',
};

const list = (lang: Language, names: readonly string[]): string => {
  const and = lang === 'km' ? ' និង ' : lang === 'fr' ? ' et ' : ' and ';
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')}${and}${names[names.length - 1] ?? ''}`;
};

export function interactionMessage(lang: Language, drugs: readonly string[], effect: string): string {
  const e = EFFECTS[effect]?.[lang] ?? EFFECTS['toxicity']?.[lang] ?? effect;
  if (lang === 'km') return `${list(lang, drugs)}៖ ${e}។ ${ASK.km}`;
  if (lang === 'fr') return `${list(lang, drugs)} : ${e}. ${ASK.fr}`;
  return `${list(lang, drugs)}: ${e}. ${ASK.en}`;
}

export function sameIngredientMessage(lang: Language, drugs: readonly string[], ingredient: string): string {
  if (lang === 'km')
    return `${list(lang, drugs)} មានថ្នាំដូចគ្នា (${ingredient})៖ ការលេបទាំងអស់នេះបង្កើនកម្រិតថ្នាំទ្វេដង។ សូមសួរគ្រូពេទ្យ ឬឱសថការីរបស់អ្នក។`;
  if (lang === 'fr')
    return `${list(lang, drugs)} contiennent le même médicament (${ingredient}) : les prendre tous multiplie la dose. Demandez à votre médecin ou pharmacien.`;
  return `${list(lang, drugs)} contain the same medicine (${ingredient}): taking all of them multiplies the dose. Ask your doctor or pharmacist.`;
}

export function maxDoseMessage(
  lang: Language,
  drugs: readonly string[],
  ingredient: string,
  total: number,
  max: number,
): string {
  const t = fmt(total);
  const m = fmt(max);
  if (lang === 'km')
    return `${list(lang, drugs)}៖ ${ingredient} ${t} mg ក្នុងមួយថ្ងៃ លើសកម្រិតអតិបរមាធម្មតាសម្រាប់មនុស្សពេញវ័យ (${m} mg)។ សូមពិនិត្យជាមួយគ្រូពេទ្យ មុនពេលលេប។`;
  if (lang === 'fr')
    return `${list(lang, drugs)} : ${t} mg de ${ingredient} par jour dépasse le maximum habituel chez l’adulte (${m} mg). Vérifiez avec votre médecin avant de le prendre.`;
  return `${list(lang, drugs)}: ${t} mg of ${ingredient} a day is above the usual adult maximum (${m} mg). Check with your doctor before taking it.`;
}

export type AllergyMatch = 'same' | 'family' | 'cross';

export function allergyMessage(lang: Language, drug: string, allergen: string, match: AllergyMatch): string {
  const text: Record<AllergyMatch, Phrases> = {
    same: {
      en: `${drug} contains ${allergen}, to which you are allergic. Do not take it; tell your doctor.`,
      fr: `${drug} contient ${allergen}, auquel vous êtes allergique. Ne le prenez pas ; prévenez votre médecin.`,
      km: `${drug} មាន ${allergen} ដែលអ្នកមានប្រតិកម្មអាឡែហ្ស៊ី។ កុំលេបវា ហើយប្រាប់គ្រូពេទ្យរបស់អ្នក។`,
    },
    family: {
      en: `${drug} belongs to the same family as ${allergen}, to which you are allergic. Do not take it before asking your doctor.`,
      fr: `${drug} est de la même famille que ${allergen}, auquel vous êtes allergique. Ne le prenez pas sans l’avis de votre médecin.`,
      km: `${drug} ស្ថិតក្នុងក្រុមថ្នាំដូចគ្នានឹង ${allergen} ដែលអ្នកមានប្រតិកម្មអាឡែហ្ស៊ី។ កុំលេបវា មុនពេលសួរគ្រូពេទ្យ។`,
    },
    cross: {
      en: `${drug} can occasionally cause a reaction in people allergic to ${allergen}. Ask your doctor before taking it.`,
      fr: `${drug} peut parfois provoquer une réaction chez les personnes allergiques à ${allergen}. Demandez à votre médecin avant de le prendre.`,
      km: `${drug} អាចបង្កប្រតិកម្មម្តងម្កាល ចំពោះអ្នកដែលមានអាឡែហ្ស៊ីនឹង ${allergen}។ សូមសួរគ្រូពេទ្យ មុនពេលលេប។`,
    },
  };
  return text[match][lang];
}

export function pregnancyMessage(
  lang: Language,
  drug: string,
  level: 'caution' | 'avoid' | 'contraindicated',
  state: 'pregnancy' | 'breastfeeding',
): string {
  const p: Record<typeof state, Record<typeof level, Phrases>> = {
    pregnancy: {
      contraindicated: {
        en: `${drug} must not be taken during pregnancy.`,
        fr: `${drug} ne doit pas être pris pendant la grossesse.`,
        km: `${drug} មិនត្រូវលេបពេលមានផ្ទៃពោះទេ។`,
      },
      avoid: {
        en: `${drug} is usually avoided during pregnancy.`,
        fr: `${drug} est en général évité pendant la grossesse.`,
        km: `${drug} ជាធម្មតាត្រូវជៀសវាងពេលមានផ្ទៃពោះ។`,
      },
      caution: {
        en: `${drug} needs your doctor’s advice during pregnancy.`,
        fr: `${drug} demande l’avis de votre médecin pendant la grossesse.`,
        km: `${drug} ត្រូវការដំបូន្មានគ្រូពេទ្យ ពេលមានផ្ទៃពោះ។`,
      },
    },
    breastfeeding: {
      contraindicated: {
        en: `${drug} must not be taken while breast-feeding.`,
        fr: `${drug} ne doit pas être pris pendant l’allaitement.`,
        km: `${drug} មិនត្រូវលេបពេលបំបៅដោះកូនទេ។`,
      },
      avoid: {
        en: `${drug} is usually avoided while breast-feeding.`,
        fr: `${drug} est en général évité pendant l’allaitement.`,
        km: `${drug} ជាធម្មតាត្រូវជៀសវាងពេលបំបៅដោះកូន។`,
      },
      caution: {
        en: `${drug} needs your doctor’s advice while breast-feeding.`,
        fr: `${drug} demande l’avis de votre médecin pendant l’allaitement.`,
        km: `${drug} ត្រូវការដំបូន្មានគ្រូពេទ្យ ពេលបំបៅដោះកូន។`,
      },
    },
  };
  const tell: Phrases = {
    en: ' Tell your doctor you are {s}.',
    fr: ' Dites à votre médecin que vous êtes {s}.',
    km: ' សូមប្រាប់គ្រូពេទ្យ។',
  };
  const s =
    state === 'pregnancy'
      ? { en: 'pregnant', fr: 'enceinte', km: '' }
      : { en: 'breast-feeding', fr: 'en train d’allaiter', km: '' };
  return p[state][level][lang] + tell[lang].replace('{s}', s[lang]);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, '');
}
