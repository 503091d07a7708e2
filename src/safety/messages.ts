/**
 * The sentences of the safety alerts, in Khmer, English and French, from the message catalogue
 * (safety.* in src/i18n/locales). Drug names are inserted as the patient sees them; the effect
 * codes are those of knowledge/interactions.json (safety.effect.<code>).
 */
import { CATALOGUES, LANGUAGES as CATALOGUE_LANGUAGES, t, type Language } from '../i18n/index.ts';

export type { Language } from '../i18n/index.ts';

export const LANGUAGES: readonly Language[] = CATALOGUE_LANGUAGES;

export const asLanguage = (v: unknown): Language => (v === 'en' || v === 'fr' || v === 'km' ? v : 'km');

type Phrases = Record<Language, string>;
type EffectCode = keyof (typeof CATALOGUES)['en']['safety']['effect'];

const effectText = (lang: Language, code: string): string | undefined => {
  const table: Readonly<Record<string, string>> = CATALOGUES[lang].safety.effect;
  return Object.hasOwn(table, code) ? table[code] : undefined;
};

/** Each effect code with its text in every language. */
export const EFFECTS: Record<string, Phrases> = Object.fromEntries(
  (Object.keys(CATALOGUES.en.safety.effect) as EffectCode[]).map((code) => [
    code,
    {
      km: CATALOGUES.km.safety.effect[code],
      en: CATALOGUES.en.safety.effect[code],
      fr: CATALOGUES.fr.safety.effect[code],
    },
  ]),
);

const list = (lang: Language, names: readonly string[]): string => {
  if (names.length <= 1) return names[0] ?? '';
  return t(lang, 'safety.list', { rest: names.slice(0, -1).join(', '), last: names[names.length - 1] ?? '' });
};

export function interactionMessage(lang: Language, drugs: readonly string[], effect: string): string {
  const e = effectText(lang, effect) ?? effectText(lang, 'toxicity') ?? effect;
  return t(lang, 'safety.interaction', { drugs: list(lang, drugs), effect: e });
}

export function sameIngredientMessage(lang: Language, drugs: readonly string[], ingredient: string): string {
  return t(lang, 'safety.same_ingredient', { drugs: list(lang, drugs), ingredient });
}

export function maxDoseMessage(
  lang: Language,
  drugs: readonly string[],
  ingredient: string,
  total: number,
  max: number,
): string {
  return t(lang, 'safety.max_dose', { drugs: list(lang, drugs), ingredient, total: fmt(total), max: fmt(max) });
}

export type AllergyMatch = 'same' | 'family' | 'cross';

export function allergyMessage(lang: Language, drug: string, allergen: string, match: AllergyMatch): string {
  return t(lang, `safety.allergy.${match}`, { drug, allergen });
}

export function pregnancyMessage(
  lang: Language,
  drug: string,
  level: 'caution' | 'avoid' | 'contraindicated',
  state: 'pregnancy' | 'breastfeeding',
): string {
  return `${t(lang, `safety.${state}.${level}`, { drug })} ${t(lang, `safety.${state}.tell`)}`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, '');
}
