/**
 * The assistant's guardrails, in code (not only in a prompt), in Khmer, English and French:
 * an emergency is answered with 119 first; a request for a diagnosis or a dose change is
 * refused with a referral to the doctor; an attempt to override the rules is refused; an
 * external model's answer that diagnoses or changes a dose is replaced. Every answer carries
 * the disclaimer. The texts are in the message catalogue (guard.*, assistant.disclaimer).
 */
import { foldKey } from '../reading/lexicon/ocr-distance.ts';
import { t, type Language } from '../i18n/index.ts';

export type Guard = 'emergency' | 'diagnosis' | 'dose_change' | 'injection';

const fold = (s: string): string => foldKey(s).replace(/[’‘`]/g, "'").replace(/\s+/g, ' ');

/** Word lists: Latin entries are matched on folded text (no accents), Khmer ones as written. */
const PATTERNS: Record<Guard, RegExp[]> = {
  emergency: [
    /\b(overdos\w*|surdos\w*|too many (pills|tablets)|took (all|too much)|trop de (comprimes|medicaments|cachets)|pris tous? (mes|les) (comprimes|medicaments))/,
    /\b(chest pain|pain in (my|the) chest|douleurs? (a la |dans la )?poitrine|douleur thoracique|mal (a|dans) la poitrine)/,
    /\b(can'?t breathe|cannot breathe|unable to breathe|difficulty breathing|hard to breathe|short(ness)? of breath|struggling to breathe|n'arrive (pas|plus) a respirer|du mal a respirer|difficulte(s)? a respirer|j'etouffe|essouffle)/,
    /\b(suicid\w*|kill myself|end my life|want to die|don'?t want to live|hurt myself|me tuer|mettre fin a (mes jours|ma vie)|envie de mourir|veux mourir|en finir)/,
    /\b(unconscious|passed out|not waking|seizure|convulsion\w*|inconscient\w*|evanoui\w*|throat (is )?swelling|swollen throat|gorge (qui )?gonfle)/,
    /(លេបថ្នាំច្រើនពេក|លេបថ្នាំលើស|ឈឺទ្រូង|ពិបាកដកដង្ហើម|ដកដង្ហើមមិនរួច|ថប់ដង្ហើម|សម្លាប់ខ្លួន|ចង់ស្លាប់|មិនចង់រស់|សន្លប់|ប្រកាច់)/,
  ],
  injection: [
    /\b(ignore|disregard|forget) (all |any |the |your )?(previous |prior |above |earlier )?(instructions|rules|prompts?|guidelines)/,
    /\b(system prompt|developer mode|jailbreak|dan mode|you are now|act as (a |my )?(doctor|physician|pharmacist)|pretend (to be|you are))/,
    /\b(other (users?|patients?)|another (user|patient)|all (users|patients)|database|sql|api key|password)/,
    /\b(ignore[rz]? (toutes )?(les |tes )?(instructions|regles|consignes)|oublie[rz]? (toutes )?(les |tes )?(instructions|regles|consignes)|tu es maintenant|fais semblant|d'autres patients|un autre patient|base de donnees|mot de passe)/,
    /(មិនអើពើ.*ការណែនាំ|បំភ្លេច.*ការណែនាំ|អ្នកជំងឺផ្សេង|ទិន្នន័យអ្នកដទៃ|ពាក្យសម្ងាត់)/,
  ],
  diagnosis: [
    /\b(do i have|have i got|what (disease|illness|condition) (do i|have i)|what'?s wrong with me|diagnos\w*|is (it|this) (cancer|diabetes|malaria|dengue|covid|tb|tuberculosis|an infection)|am i (sick|ill))/,
    /\b(est-ce que j'ai|ai-je (le |la |un |une )?\w+|quelle maladie|qu'est-ce que j'ai|diagnostic\w*|suis-je malade|c'est (un |le )?(cancer|diabete|paludisme))/,
    /(ខ្ញុំមានជំងឺអ្វី|ខ្ញុំកើតជំងឺអ្វី|តើខ្ញុំមានជំងឺ|តើខ្ញុំកើតជំងឺ|រោគវិនិច្ឆ័យ|វិនិច្ឆ័យ)/,
  ],
  dose_change: [
    /\b(double|increase|raise|reduce|lower|decrease|change|adjust|halve) (my |the |this )?(dose|dosage|medicine|medication|pills?|tablets?)/,
    /\b(take (more|less|an extra|extra|two instead|3|three|4|four)|stop taking|can i stop|should i stop|quit (my|the) (medicine|medication|pills?)|skip (my|the) (medicine|medication|pills?) for good)/,
    /\b(augmenter|doubler|diminuer|reduire|baisser|changer|modifier) (la |ma |les |mes )?(dose|posologie|traitement|medicament)/,
    /\b(prendre (plus|moins|davantage)|arreter (mon|le|mes|les)? ?(traitement|medicament)|est-ce que je peux arreter|puis-je arreter)/,
    /(បង្កើនកម្រិតថ្នាំ|បន្ថយកម្រិតថ្នាំ|ប្តូរកម្រិតថ្នាំ|លេបទ្វេដង|លេបបន្ថែម|ឈប់លេបថ្នាំ|លេបច្រើនជាង|លេបតិចជាង)/,
  ],
};

/** The guard a message triggers, most serious first (emergency before everything). */
export function detectGuard(text: string): Guard | null {
  const t = fold(text);
  for (const g of ['emergency', 'injection', 'diagnosis', 'dose_change'] as const) {
    if (PATTERNS[g].some((re) => re.test(t))) return g;
  }
  return null;
}

export function detectLanguage(text: string, fallback: Language): Language {
  if (/[\u1780-\u17FF]/.test(text)) return 'km';
  const t = ` ${fold(text)} `;
  const fr = (
    t.match(
      /\b(je|j|ai|est|suis|pas|ne|de|du|des|le|la|les|un|une|mon|ma|mes|quoi|pourquoi|comment|quand|avec|pour|dans|sur|trop|pris|prendre|medicaments?|comprimes?|puis-je|dois-je|oublie|sert|bonjour|merci|veux|me|mal|peux)\b/g,
    ) ?? []
  ).length;
  const en = (
    t.match(
      /\b(i|my|me|what|why|how|when|with|the|a|an|is|are|do|does|can|should|to|of|for|it|this|medicines?|pills?|tablets?|missed|take|took|hello|hi|please|your|print|show|tell|want|have)\b/g,
    ) ?? []
  ).length;
  if (fr > en) return 'fr';
  if (en > fr) return 'en';
  return fallback;
}

/** The disclaimer every answer and report carries (assistant.disclaimer in the message catalogue). */
export function disclaimer(lang: Language): string {
  return t(lang, 'assistant.disclaimer');
}

/** What the assistant says instead when a guard applies (guard.<guard> in the message catalogue). */
export function guardAnswer(guard: Guard, lang: Language): string {
  return t(lang, `guard.${guard}`);
}

/**
 * Checks a model's answer: one that names a diagnosis for the user or tells her to change a
 * dose is not shown (returns the guard to apply instead).
 */
export function checkModelOutput(text: string): Guard | null {
  const t = fold(text);
  const dose = [
    /\b(increase|double|raise|reduce|decrease|lower|halve) (your|the) (dose|dosage)/,
    /\byou (can|should|may) (stop|double|take (more|an extra|two|2|three|3))/,
    /\b(augmentez|doublez|diminuez|reduisez|arretez) (votre |la )?(dose|traitement|medicament)/,
    /\bvous (pouvez|devez) (arreter|doubler|prendre (plus|deux|2))/,
    /(?<!កុំ|មិនអាច|មិន)(បង្កើនកម្រិតថ្នាំ|បន្ថយកម្រិតថ្នាំ|អាចឈប់លេប|លេបទ្វេដង)/,
  ];
  const diagnosis = [
    /\byou (probably |likely |most likely |may |might )?(have|are suffering from) (a |an )?(cancer|diabetes|malaria|dengue|tuberculosis|infection|pneumonia|hypertension|disease)/,
    /\b(my|the) diagnosis is\b/,
    /\bvous (avez|souffrez) (probablement |sans doute )?(d'un |d'une |un |une |le |la )?(cancer|diabete|paludisme|dengue|tuberculose|infection|pneumonie|maladie)/,
    /(?<!ថា)(អ្នកមានជំងឺ|អ្នកកើតជំងឺ)/,
  ];
  if (dose.some((re) => re.test(t))) return 'dose_change';
  if (diagnosis.some((re) => re.test(t))) return 'diagnosis';
  return null;
}
