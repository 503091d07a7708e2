/**
 * Validates the curated drug lexicon (src/reading/lexicon/drugs.json): shape, stable ids,
 * vocabularies, normalised strengths, ATC codes, sources, name collisions between molecules,
 * and spot checks of the spellings Cambodian prescriptions print.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Source {
  id: string;
  title: string;
  publisher: string;
  url: string | null;
  year: number | null;
}

interface Drug {
  id: string;
  generic_name: string;
  inn: string;
  names_fr: string[];
  other_names: string[];
  class: string;
  atc: string | null;
  strengths: string[];
  forms: string[];
  sources: string[];
  deprecated?: boolean;
  replaced_by?: string;
}

/** A brand product: one brand name of one lexicon molecule (the test of these is lexicon-products.test.ts). */
interface Product {
  id: string;
  brand: string;
  drug: string;
  strengths: string[];
  maker: string | null;
  sources: string[];
}

interface Lexicon {
  version: string;
  description: string;
  sources: Source[];
  vocabularies: { classes: string[]; forms: string[] };
  drugs: Drug[];
  products: Product[];
}

const raw: unknown = JSON.parse(
  fs.readFileSync(new URL('../../src/reading/lexicon/drugs.json', import.meta.url), 'utf8'),
);
// The first test checks this shape field by field; the others rely on it.
const lex = raw as Lexicon;
const drugs = lex.drugs;

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ATC = /^[A-Z]\d{2}[A-Z]{2}\d{2}$/;
const AMOUNT = String.raw`\d+(?:\.\d+)?(?:mg|g|mcg|ml|IU|%|mmol)`;
/** "500mg", "0.5g", "120mg/5ml", "100IU/ml", "875mg+125mg", "200mg+40mg/5ml", "100mcg/dose", "70/30". */
const STRENGTH = new RegExp(
  String.raw`^(?:${AMOUNT}(?:\+${AMOUNT})*(?:\/(?:\d+(?:\.\d+)?)?(?:mg|g|ml|l|dose|drop))?|\d+\/\d+)$`,
);

/** Ids that no longer equal the slug of their generic name (the name was corrected; the id stays). */
const ID_SLUG_EXCEPTIONS: readonly string[] = [];
/** Folded brand keys that may name two molecules (an umbrella brand). Keep this list short. */
const SHARED_BRANDS_ALLOWED: readonly string[] = [];
/** Folded keys of any name (generic, INN, French, synonym, brand) that may belong to two molecules. */
const SHARED_NAMES_ALLOWED: readonly string[] = [];

/** The matcher's key: accents and case folded, punctuation and spaces dropped. */
const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/** The id a generic name gets: parenthesised notes dropped, accents folded, words joined by "-". */
const slugOf = (s: string): string =>
  s
    .replace(/\s*\([^)]*\)/g, '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A molecule's brands: the products that name it, in file order. */
const brandsById = new Map<string, string[]>();
for (const p of lex.products) brandsById.set(p.drug, [...(brandsById.get(p.drug) ?? []), p.brand]);
const brandsOf = (d: Drug): string[] => brandsById.get(d.id) ?? [];

const namesOf = (d: Drug): string[] => [d.generic_name, d.inn, ...d.names_fr, ...d.other_names, ...brandsOf(d)];

const byId = new Map(drugs.map((d) => [d.id, d]));
const need = (id: string): Drug => {
  const d = byId.get(id);
  if (d === undefined) throw new Error(`lexicon has no entry "${id}"`);
  return d;
};

const isStr = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v === v.trim();
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ids published in 2026.11.1. Ids are never renamed or removed: deprecate instead (README). */
const FROZEN_IDS = `
  abacavir abacavir-lamivudine acarbose aceclofenac acenocoumarol acetazolamide acetylcysteine acetylleucine
  acetylsalicylic-acid aciclovir activated-charcoal adapalene albendazole alendronic-acid alfacalcidol
  alfuzosin alimemazine allopurinol alprazolam aluminium-hydroxide aluminium-hydroxide-magnesium-hydroxide
  aluminium-hydroxide-magnesium-hydroxide-simeticone aluminium-phosphate alverine alverine-simeticone ambroxol
  amikacin amiloride aminophylline amiodarone amitriptyline amlodipine amoxicillin amoxicillin-clavulanic-acid
  amphotericin-b ampicillin ampicillin-sulbactam amylmetacresol-dichlorobenzyl-alcohol anastrozole apixaban
  artemether artemether-lumefantrine artesunate artesunate-mefloquine ascorbic-acid atazanavir atenolol
  atorvastatin atovaquone-proguanil atropine attapulgite azathioprine azithromycin bacillus-clausii baclofen
  beclometasone bedaquiline benzathine-benzylpenicillin benzoic-acid-salicylic-acid benzoyl-peroxide
  benzydamine benzyl-benzoate benzylpenicillin betahistine betamethasone bilastine bisacodyl bismuth-subcitrate
  bisoprolol bromazepam bromhexine bromocriptine budesonide budesonide-formoterol bupivacaine butylscopolamine
  butylscopolamine-paracetamol cabergoline calamine calcitriol calcium-carbonate
  calcium-carbonate-colecalciferol calcium-dobesilate calcium-gluconate calcium-lactate candesartan captopril
  carbamazepine carbetocin carbimazole carbocisteine carmellose carvedilol cefaclor cefadroxil cefalexin
  cefazolin cefdinir cefepime cefixime cefoperazone-sulbactam cefotaxime cefpodoxime ceftazidime ceftriaxone
  cefuroxime celecoxib cetirizine chloramphenicol chlorhexidine chloroquine chlorphenamine chlorpromazine
  chondroitin chymotrypsin cilostazol cimetidine cinnarizine ciprofloxacin citicoline clarithromycin
  clindamycin clobetasol clofazimine clomifene clonazepam clonidine clopidogrel clotrimazole
  clotrimazole-betamethasone cloxacillin codeine colchicine colecalciferol colistin cyanocobalamin cycloserine
  cyproheptadine dabigatran daclatasvir dapagliflozin dapsone darunavir deferasirox deferiprone deferoxamine
  delamanid desloratadine desmopressin dexamethasone dexchlorpheniramine dexketoprofen dexpanthenol
  dextromethorphan diacerein diazepam diclofenac dicloxacillin diethylcarbamazine digoxin
  dihydroartemisinin-piperaquine diloxanide diltiazem dimenhydrinate diosmectite diosmin-hesperidin
  diphenhydramine dobutamine dolutegravir domperidone donepezil dopamine doxazosin doxycycline drotaverine
  dutasteride dydrogesterone ebastine econazole efavirenz empagliflozin emtricitabine enalapril enoxaparin
  entecavir eperisone epinephrine erdosteine ergocalciferol ergometrine ertapenem erythromycin escitalopram
  esomeprazole estradiol etamsylate ethambutol ethanol ethionamide etifoxine etoricoxib ezetimibe famotidine
  febuxostat felodipine fenofibrate fenoterol-ipratropium fentanyl ferrous-fumarate ferrous-sulfate
  ferrous-sulfate-folic-acid fexofenadine finasteride flavoxate flucloxacillin fluconazole fludrocortisone
  flumazenil flunarizine fluocinolone fluorometholone fluoxetine flupentixol-melitracen fluphenazine
  fluticasone folic-acid fondaparinux fosfomycin furosemide fusidic-acid fusidic-acid-betamethasone gabapentin
  gemfibrozil gentamicin ginkgo-biloba glibenclamide glibenclamide-metformin gliclazide glimepiride glipizide
  glucagon glucosamine glucose glucose-sodium-chloride glycerol glyceryl-trinitrate griseofulvin guaifenesin
  haloperidol heparin heparinoid hydralazine hydrochlorothiazide hydrocortisone hydrogen-peroxide
  hydroxocobalamin hydroxychloroquine hydroxyzine ibuprofen imipenem-cilastatin indapamide indometacin
  insulin-aspart insulin-aspart-biphasic insulin-biphasic-isophane insulin-degludec insulin-detemir
  insulin-glargine insulin-glulisine insulin-human insulin-isophane insulin-lispro insulin-lispro-biphasic
  ipratropium irbesartan irbesartan-hydrochlorothiazide iron-polymaltose iron-sucrose isoniazid
  isosorbide-dinitrate isosorbide-mononitrate isotretinoin ispaghula itopride itraconazole ivabradine
  ivermectin ivy-leaf-extract ketamine ketoconazole ketoprofen ketorolac ketotifen labetalol lactobacillus
  lactulose lamivudine lamotrigine lansoprazole latanoprost lercanidipine letrozole levetiracetam
  levocetirizine levodopa-benserazide levodopa-carbidopa levofloxacin levonorgestrel
  levonorgestrel-ethinylestradiol levothyroxine lidocaine linagliptin lincomycin linezolid liquid-paraffin
  lisinopril lithium-carbonate loperamide lopinavir-ritonavir loratadine loratadine-pseudoephedrine lorazepam
  losartan losartan-hydrochlorothiazide macrogol magnesium-lactate-pyridoxine magnesium-sulfate mannitol
  mebendazole mebeverine mecobalamin medroxyprogesterone mefenamic-acid mefloquine meloxicam mephenesin
  mequitazine meropenem mesalazine metamizole metformin methocarbamol methotrexate methyl-salicylate methyldopa
  methylergometrine methylprednisolone methylrosaniline metoclopramide metoprolol metronidazole miconazole
  midazolam minocycline mirtazapine misoprostol mometasone montelukast morphine moxifloxacin multivitamin
  mupirocin nalidixic-acid naloxone naphazoline naproxen nebivolol nefopam neomycin-polymyxin-b-dexamethasone
  neostigmine nevirapine nicardipine niclosamide nicorandil nicotinamide nifedipine nifuroxazide nimesulide
  nitazoxanide nitrofurantoin norepinephrine norethisterone norfloxacin nystatin ofloxacin olanzapine
  olopatadine omega-3-acid-ethyl-esters omeprazole ondansetron oral-rehydration-salts ornidazole
  ornithine-aspartate orphenadrine orphenadrine-paracetamol oseltamivir otilonium oxomemazine oxybutynin
  oxymetazoline oxytocin pancreatin pantoprazole paracetamol paracetamol-caffeine
  paracetamol-chlorphenamine-phenylephrine paracetamol-codeine paracetamol-tramadol paroxetine pentoxifylline
  perindopril perindopril-amlodipine perindopril-indapamide permethrin pethidine phenazopyridine phenobarbital
  phenoxymethylpenicillin phenylephrine phenytoin phloroglucinol phytomenadione pilocarpine pinaverium
  pioglitazone piperacillin-tazobactam piracetam piroxicam potassium-chloride povidone-iodine pralidoxime
  pravastatin praziquantel prazosin prednisolone prednisone pregabalin pretomanid primaquine
  procaine-benzylpenicillin progesterone promethazine propofol propranolol propylthiouracil pseudoephedrine
  pyrantel pyrazinamide pyridoxine pyronaridine-artesunate quetiapine quinine rabeprazole racecadotril
  raltegravir ramipril ranitidine ranolazine rebamipide retinol riboflavin rifampicin rifampicin-isoniazid
  rifampicin-isoniazid-pyrazinamide rifampicin-isoniazid-pyrazinamide-ethambutol rifapentine rifaximin
  ringer-lactate risperidone ritonavir rivaroxaban rosuvastatin roxithromycin rupatadine
  saccharomyces-boulardii sacubitril-valsartan salbutamol salbutamol-ipratropium salicylic-acid
  salmeterol-fluticasone saxagliptin secnidazole selenium-sulfide senna sertraline sildenafil
  silver-sulfadiazine silymarin simeticone simvastatin sitagliptin sitagliptin-metformin sodium-alginate
  sodium-bicarbonate sodium-chloride sodium-hyaluronate sofosbuvir sofosbuvir-velpatasvir solifenacin
  spiramycin spiramycin-metronidazole spironolactone streptomycin sucralfate sulfamethoxazole-trimethoprim
  sulfasalazine sulpiride sumatriptan suxamethonium tadalafil tafenoquine tamoxifen tamsulosin telmisartan
  telmisartan-hydrochlorothiazide tenofovir-alafenamide tenofovir-disoproxil tenofovir-disoproxil-emtricitabine
  tenofovir-disoproxil-lamivudine tenofovir-disoproxil-lamivudine-dolutegravir
  tenofovir-disoproxil-lamivudine-efavirenz terbinafine terbutaline tetracycline theophylline thiamazole
  thiamine thiamine-pyridoxine-cyanocobalamin thiocolchicoside thioctic-acid tianeptine ticagrelor timolol
  tinidazole tiotropium tizanidine tobramycin tobramycin-dexamethasone tocopherol tolperisone topiramate
  tramadol tranexamic-acid tretinoin triamcinolone trihexyphenidyl trimebutine trimetazidine tropicamide
  ubidecarenone urea ursodeoxycholic-acid valaciclovir valproic-acid valsartan valsartan-amlodipine
  valsartan-hydrochlorothiazide vancomycin verapamil vildagliptin vildagliptin-metformin vinpocetine
  vitamin-b-complex warfarin water-for-injection xylometazoline zidovudine zidovudine-lamivudine zinc-oxide
  zinc-sulfate zolpidem
`
  .split(/\s+/)
  .filter((s) => s !== '');

describe('drug lexicon: shape', () => {
  it('has the documented top-level fields and entry fields', () => {
    const problems: string[] = [];
    expect(isObj(raw)).toBe(true);
    const o = raw as Record<string, unknown>;
    expect(Object.keys(o).sort()).toEqual(['description', 'drugs', 'products', 'sources', 'version', 'vocabularies']);
    expect(o['version']).toMatch(/^\d{4}\.\d{1,2}\.\d+$/);
    expect(isStr(o['description'])).toBe(true);
    const voc = o['vocabularies'];
    expect(isObj(voc) && isStrArr(voc['classes']) && isStrArr(voc['forms'])).toBe(true);
    expect(Array.isArray(o['sources']) && Array.isArray(o['drugs'])).toBe(true);
    for (const s of o['sources'] as unknown[]) {
      if (!isObj(s)) {
        problems.push('source is not an object');
        continue;
      }
      const okUrl = s['url'] === null || (isStr(s['url']) && s['url'].startsWith('https://'));
      const okYear = s['year'] === null || (Number.isInteger(s['year']) && (s['year'] as number) > 1900);
      if (!isStr(s['id']) || !isStr(s['title']) || !isStr(s['publisher']) || !okUrl || !okYear) {
        problems.push(`source ${String(s['id'])}: bad field`);
      }
    }
    const required = [
      'id',
      'generic_name',
      'inn',
      'names_fr',
      'other_names',
      'class',
      'atc',
      'strengths',
      'forms',
      'sources',
    ];
    const optional = ['deprecated', 'replaced_by'];
    for (const d of o['drugs'] as unknown[]) {
      if (!isObj(d)) {
        problems.push('drug is not an object');
        continue;
      }
      const id = String(d['id']);
      for (const k of required) if (!(k in d)) problems.push(`${id}: missing ${k}`);
      for (const k of Object.keys(d))
        if (!required.includes(k) && !optional.includes(k)) problems.push(`${id}: unknown key ${k}`);
      for (const k of ['id', 'generic_name', 'inn', 'class'])
        if (!isStr(d[k])) problems.push(`${id}: ${k} not a string`);
      for (const k of ['names_fr', 'other_names', 'strengths', 'forms'])
        if (!isStrArr(d[k])) problems.push(`${id}: ${k} not a string array`);
      if (!isStrArr(d['sources']) || d['sources'].length === 0) problems.push(`${id}: sources empty or not strings`);
      if (d['atc'] !== null && !isStr(d['atc'])) problems.push(`${id}: atc neither string nor null`);
      if ('deprecated' in d && typeof d['deprecated'] !== 'boolean') problems.push(`${id}: deprecated not boolean`);
      if ('replaced_by' in d && !isStr(d['replaced_by'])) problems.push(`${id}: replaced_by not a string`);
    }
    expect(problems).toEqual([]);
  });

  it('has at least 300 entries, kept in id order so diffs stay readable', () => {
    expect(drugs.length).toBeGreaterThanOrEqual(300);
    const ids = drugs.map((d) => d.id);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
  });

  it('declares unique, non-empty vocabularies and sources', () => {
    const { classes, forms } = lex.vocabularies;
    expect(new Set(classes).size).toBe(classes.length);
    expect(new Set(forms).size).toBe(forms.length);
    for (const c of classes) expect(c).toMatch(SLUG);
    for (const f of forms) expect(f).toMatch(/^[a-z]+( [a-z]+)*$/);
    const ids = lex.sources.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('who-eml-2023');
  });
});

describe('drug lexicon: ids', () => {
  it('uses unique lower-case slug ids', () => {
    const bad = drugs.filter((d) => !SLUG.test(d.id)).map((d) => d.id);
    expect(bad).toEqual([]);
    expect(new Set(drugs.map((d) => d.id)).size).toBe(drugs.length);
  });

  it('derives each id from the generic name (combinations joined by "-")', () => {
    const bad = drugs
      .filter((d) => !ID_SLUG_EXCEPTIONS.includes(d.id) && slugOf(d.inn) !== d.id)
      .map((d) => `${d.id} <> ${slugOf(d.inn)}`);
    expect(bad).toEqual([]);
    expect(
      drugs.filter((d) => d.generic_name !== d.inn.replace(/\s*\([^)]*\)/g, '').toLowerCase()).map((d) => d.id),
    ).toEqual([]);
  });

  it('never drops or renames a published id', () => {
    expect(FROZEN_IDS.length).toBeGreaterThanOrEqual(300);
    expect(FROZEN_IDS.filter((id) => !byId.has(id))).toEqual([]);
  });

  it('points every deprecated entry at a live replacement', () => {
    for (const d of drugs) {
      if (d.replaced_by !== undefined) expect(d.deprecated, d.id).toBe(true);
      if (d.deprecated !== true) continue;
      expect(d.replaced_by, d.id).toBeDefined();
      const target = byId.get(d.replaced_by ?? '');
      expect(target, `${d.id} -> ${String(d.replaced_by)}`).toBeDefined();
      expect(target?.id).not.toBe(d.id);
      expect(target?.deprecated ?? false).toBe(false);
    }
  });
});

describe('drug lexicon: fields', () => {
  it('has unique lower-case generic names', () => {
    const bad = drugs.filter((d) => d.generic_name !== d.generic_name.toLowerCase()).map((d) => d.id);
    expect(bad).toEqual([]);
    expect(new Set(drugs.map((d) => d.generic_name)).size).toBe(drugs.length);
  });

  it('cites only declared sources', () => {
    const declared = new Set(lex.sources.map((s) => s.id));
    const bad = drugs.flatMap((d) => d.sources.filter((s) => !declared.has(s)).map((s) => `${d.id}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('writes strengths in the normalised form', () => {
    const bad = drugs.flatMap((d) => d.strengths.filter((s) => !STRENGTH.test(s)).map((s) => `${d.id}: ${s}`));
    expect(bad).toEqual([]);
    expect(STRENGTH.test('500 mg')).toBe(false);
    expect(STRENGTH.test('100iu/ml')).toBe(false);
    expect(STRENGTH.test('70/30')).toBe(true);
  });

  it('takes forms and classes from the vocabularies', () => {
    const forms = new Set(lex.vocabularies.forms);
    const classes = new Set(lex.vocabularies.classes);
    const badForms = drugs.flatMap((d) => d.forms.filter((f) => !forms.has(f)).map((f) => `${d.id}: ${f}`));
    const badClasses = drugs.filter((d) => !classes.has(d.class)).map((d) => `${d.id}: ${d.class}`);
    expect(badForms).toEqual([]);
    expect(badClasses).toEqual([]);
  });

  it('gives well-formed ATC codes when it gives one', () => {
    const bad = drugs.filter((d) => d.atc !== null && !ATC.test(d.atc)).map((d) => `${d.id}: ${d.atc}`);
    expect(bad).toEqual([]);
  });

  it('repeats no name within a list, and has no name too short to match', () => {
    const problems: string[] = [];
    for (const d of drugs) {
      for (const [field, list] of Object.entries({
        names_fr: d.names_fr,
        other_names: d.other_names,
        brands: brandsOf(d),
        strengths: d.strengths,
        forms: d.forms,
      })) {
        const keys = list.map((x) => (field === 'strengths' || field === 'forms' ? x : fold(x)));
        if (new Set(keys).size !== keys.length) problems.push(`${d.id}: repeated ${field}`);
      }
      for (const n of namesOf(d)) if (fold(n).length < 3) problems.push(`${d.id}: "${n}" is under 3 letters`);
    }
    expect(problems).toEqual([]);
  });
});

describe('drug lexicon: names shared between molecules', () => {
  it('gives no brand to two molecules unless allowed', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const d of drugs) {
      for (const b of brandsOf(d)) {
        const k = fold(b);
        const prev = owner.get(k);
        if (prev !== undefined && prev !== d.id && !SHARED_BRANDS_ALLOWED.includes(k))
          clashes.push(`${b}: ${prev} / ${d.id}`);
        owner.set(k, d.id);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('gives no name of any kind to two molecules unless allowed', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const d of drugs) {
      for (const k of new Set(namesOf(d).map(fold))) {
        const prev = owner.get(k);
        if (prev !== undefined && !SHARED_NAMES_ALLOWED.includes(k)) clashes.push(`${k}: ${prev} / ${d.id}`);
        owner.set(k, d.id);
      }
    }
    expect(clashes).toEqual([]);
  });
});

describe('drug lexicon: spot checks', () => {
  it('spells French names as Cambodian prescriptions print them', () => {
    expect(need('paracetamol').names_fr).toContain('Paracétamol');
    expect(need('metformin').names_fr).toContain('Metformine');
    expect(need('amoxicillin').names_fr).toContain('Amoxicilline');
    expect(need('omeprazole').names_fr).toContain('Oméprazole');
    expect(need('ibuprofen').names_fr).toContain('Ibuprofène');
    expect(need('ascorbic-acid').names_fr).toContain('Vitamine C');
    expect(need('oxytocin').names_fr).toContain('Ocytocine');
  });

  it('has insulin with "Insuline" and the premixed 70/30 (Mixtard)', () => {
    const insulins = drugs.filter((d) => d.id.startsWith('insulin'));
    expect(insulins.length).toBeGreaterThanOrEqual(5);
    expect(insulins.some((d) => d.names_fr.includes('Insuline'))).toBe(true);
    const mix = need('insulin-biphasic-isophane');
    expect(mix.strengths).toContain('70/30');
    expect(brandsOf(mix)).toContain('Mixtard 30');
    expect(mix.class).toBe('insulin');
  });

  it('has butylscopolamine (hyoscine butylbromide) as Buscopan', () => {
    const d = need('butylscopolamine');
    expect(brandsOf(d)).toContain('Buscopan');
    expect(d.other_names).toContain('Hyoscine butylbromide');
    expect(d.atc).toBe('A03BB01');
  });

  it('has multivitamin with the "Multivitamine" spelling', () => {
    const d = need('multivitamin');
    expect(d.names_fr).toContain('Multivitamine');
    expect(d.class).toBe('vitamin');
  });

  it('knows common brands and abbreviations', () => {
    expect(brandsOf(need('celecoxib'))).toContain('Celcoxx');
    expect(brandsOf(need('paracetamol'))).toEqual(expect.arrayContaining(['Panadol', 'Efferalgan', 'Doliprane']));
    expect(brandsOf(need('amoxicillin-clavulanic-acid'))).toContain('Augmentin');
    expect(need('hydrochlorothiazide').other_names).toContain('HCTZ');
    expect(need('acetylsalicylic-acid').other_names).toEqual(expect.arrayContaining(['Aspirin', 'ASA']));
    expect(need('thiamine').other_names).toContain('Vit B1');
    expect(need('sulfamethoxazole-trimethoprim').other_names).toContain('Co-trimoxazole');
    expect(brandsOf(need('diosmectite'))).toContain('Smecta');
  });

  it('carries known ATC codes', () => {
    expect(need('paracetamol').atc).toBe('N02BE01');
    expect(need('metformin').atc).toBe('A10BA02');
    expect(need('amoxicillin-clavulanic-acid').atc).toBe('J01CR02');
    expect(need('artesunate-mefloquine').atc).toBe('P01BF02');
    expect(need('dihydroartemisinin-piperaquine').atc).toBe('P01BF05');
    expect(need('oral-rehydration-salts').atc).toBeNull();
  });

  it('covers what Cambodian outpatient and hospital prescriptions carry', () => {
    const expected = `
      celecoxib etoricoxib meloxicam diclofenac ibuprofen paracetamol tramadol
      amoxicillin amoxicillin-clavulanic-acid cefixime cefuroxime cefadroxil ceftriaxone ciprofloxacin levofloxacin
      azithromycin clarithromycin doxycycline metronidazole sulfamethoxazole-trimethoprim
      artesunate-mefloquine dihydroartemisinin-piperaquine primaquine chloroquine artesunate
      isoniazid rifampicin pyrazinamide ethambutol rifampicin-isoniazid-pyrazinamide-ethambutol
      tenofovir-disoproxil-lamivudine-dolutegravir dolutegravir efavirenz
      metformin gliclazide glibenclamide insulin-human insulin-isophane insulin-biphasic-isophane
      amlodipine nifedipine enalapril captopril losartan atenolol bisoprolol propranolol hydrochlorothiazide
      furosemide spironolactone atorvastatin simvastatin acetylsalicylic-acid clopidogrel isosorbide-dinitrate digoxin
      omeprazole esomeprazole pantoprazole ranitidine famotidine domperidone metoclopramide butylscopolamine
      drotaverine simeticone alverine trimebutine oral-rehydration-salts loperamide diosmectite lactulose bisacodyl
      salbutamol cetirizine loratadine chlorphenamine ambroxol bromhexine acetylcysteine carbocisteine
      dextromethorphan prednisolone dexamethasone
      multivitamin vitamin-b-complex thiamine pyridoxine cyanocobalamin ascorbic-acid colecalciferol folic-acid
      ferrous-sulfate calcium-carbonate zinc-sulfate
      diazepam amitriptyline carbamazepine phenytoin valproic-acid gabapentin pregabalin
      tamsulosin misoprostol oxytocin progesterone levothyroxine carbimazole
      fluconazole clotrimazole griseofulvin albendazole mebendazole ivermectin praziquantel
      allopurinol colchicine
    `
      .split(/\s+/)
      .filter((s) => s !== '');
    expect(expected.filter((id) => !byId.has(id))).toEqual([]);
  });
});
