/**
 * The generated benchmark: labelled prescriptions in clearly different layouts, made
 * deterministically from a seed (nothing stored, nothing to learn by heart):
 *   ruled-km       hospital table with rulings, Khmer headers with hours, a route column, meal cell
 *   spaced-en      table without rulings, columns aligned by spaces, English headers
 *   hours-table    slot columns headed by hours only ("6h-8h", "20h-22h")
 *   clinic-list    numbered list "1. Amoxicillin 500mg  1-0-1 x 7 days  after meal"
 *   pattern-4      "1-0-1-0" dosing column with a days column ("7 ថ្ងៃ")
 *   ordonnance-fr  French free text "1 comprimé matin et soir pendant 7 jours, après le repas"
 *   km-duration    Khmer table, "1 គ្រាប់" slot cells and a duration column
 *   tick-form      printed drug list with tick boxes per slot
 *   handwritten    clinic pad written in a handwriting-like font (Debian fonts-humor-sans)
 * Drug names come from the lexicon (src/reading/lexicon/drugs.json): INN, French name or brand;
 * about one row in twelve carries an invented name that no lexicon has (the reader must keep it).
 * Each image then gets one photo degradation (perspective, blur, hard or soft shadow, glare,
 * low light, JPEG, rotation, EXIF rotation) on top of a mild base (tilt, blur, JPEG).
 *
 *   npx tsx test/reading/synth/layouts.ts [outDir] [--seed S] [--count N]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DEFAULT_LEXICON_PATH, loadLexiconFile } from '../../../src/reading/lexicon/load.ts';
import { rng, SLOTS, text, KM, LAT, W, H, type Slot } from './generate.ts';

export const LAYOUTS = [
  'ruled-km',
  'spaced-en',
  'hours-table',
  'clinic-list',
  'pattern-4',
  'ordonnance-fr',
  'km-duration',
  'tick-form',
  'handwritten',
] as const;
export type LayoutName = (typeof LAYOUTS)[number];
export const DEGRADATIONS = [
  'flat',
  'perspective',
  'blur',
  'hard-shadow',
  'soft-shadow',
  'glare',
  'low-light',
  'jpeg',
  'rotation',
  'exif-rotation',
] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

const HAND = 'Humor Sans';

export interface GenDrug {
  /** As printed. */
  name: string;
  strength: string;
  /** tablet or capsule */
  form: 'tablet' | 'capsule';
  known: boolean;
}

export interface Sample {
  jpeg: Buffer;
  layout: LayoutName;
  degradation: Degradation;
  truth: { image: string; note: string; medications: Array<Record<string, unknown>> };
}

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: R, a: number, b: number): number => a + Math.floor(r() * (b - a + 1));
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface PoolDrug {
  inn: string;
  fr: string | null;
  brand: string | null;
  strengths: string[];
  form: 'tablet' | 'capsule';
}

let poolCache: PoolDrug[] | null = null;
/** Single-word oral drugs of the lexicon with a strength in mg. */
function drugPool(): PoolDrug[] {
  if (poolCache !== null) return poolCache;
  const lex = loadLexiconFile(DEFAULT_LEXICON_PATH);
  const out: PoolDrug[] = [];
  for (const d of lex.drugs) {
    const inn = d.inn ?? cap(d.generic_name);
    if (!/^[A-Za-z]{5,14}$/.test(inn)) continue;
    const forms = d.forms ?? [];
    const form =
      forms.some((f) => f.includes('capsule')) && !forms.some((f) => f.includes('tablet'))
        ? 'capsule'
        : forms.some((f) => f.includes('tablet'))
          ? 'tablet'
          : null;
    if (form === null) continue;
    const strengths = (d.strengths ?? []).filter((s) => /^\d{1,4}mg$/.test(s));
    if (strengths.length === 0) continue;
    const fr = (d.names_fr ?? []).find((n) => /^[A-Za-zÀ-ÿ]{5,16}$/.test(n)) ?? null;
    const brand = (d.brands ?? []).find((n) => /^[A-Z][a-z]{4,11}$/.test(n)) ?? null;
    out.push({ inn, fr, brand, strengths, form });
  }
  poolCache = out;
  return out;
}

/** Invented names (no such drug): rows the reader must keep with a low confidence. */
const UNKNOWN = ['Zelvorin', 'Kantrexil', 'Morvadex', 'Tripolex', 'Vandorix', 'Quelmira', 'Soravent', 'Bexilon'];

/** Set while one sample's body is drawn (synchronously): its first row gets an invented name. */
let unknownFirst = false;

function drugs(r: R, n: number, lang: 'en' | 'fr' | 'km'): GenDrug[] {
  const pool = [...drugPool()];
  const out: GenDrug[] = [];
  while (out.length < n) {
    if (r() < 0.08 || (unknownFirst && out.length === 0)) {
      out.push({
        name: pick(r, UNKNOWN),
        strength: `${pick(r, [10, 20, 40, 250, 500])}mg`,
        form: 'tablet',
        known: false,
      });
      continue;
    }
    const d = pool.splice(Math.floor(r() * pool.length), 1)[0];
    if (d === undefined) break;
    const v = r();
    const name = lang === 'fr' && d.fr !== null && v < 0.7 ? d.fr : d.brand !== null && v < 0.2 ? d.brand : d.inn;
    out.push({ name, strength: pick(r, d.strengths), form: d.form, known: true });
  }
  return out;
}

type Sched = Record<Slot, number>;
const PATTERNS: Array<[number, number, number, number]> = [
  [1, 0, 1, 0],
  [1, 1, 1, 0],
  [1, 0, 0, 0],
  [0, 0, 0, 1],
  [1, 0, 1, 1],
  [2, 0, 2, 0],
  [1, 1, 1, 1],
  [0, 0, 1, 0],
  [1, 0, 1, 0],
];
function sched(r: R, halves = false): Sched {
  const p = [...pick(r, PATTERNS)];
  if (halves && r() < 0.25) for (let i = 0; i < 4; i++) if (p[i] === 1) p[i] = 0.5;
  return { morning: p[0] ?? 0, noon: p[1] ?? 0, evening: p[2] ?? 0, night: p[3] ?? 0 };
}
const daily = (s: Sched): number => SLOTS.reduce((a, k) => a + s[k], 0);
const fmtDose = (v: number): string => (v === 0.5 ? '½' : String(v));

interface Body {
  svg: string[];
  meds: Array<Record<string, unknown>>;
}

function med(d: GenDrug, s: Sched, extra: Record<string, unknown>): Record<string, unknown> {
  return { name: d.name, strength: d.strength, dosage_schedule: s, ...extra };
}

function letterhead(r: R, lang: 'en' | 'fr' | 'km', family = LAT): string[] {
  const clinic = pick(r, [
    'Sunrise Family Clinic',
    'Tonle Sap Medical Centre',
    'Clinique Bassac',
    'Kampot Health Clinic',
    'Battambang Provincial Hospital',
    'Riverside Polyclinic',
  ]);
  const out = [text(W / 2, 110, clinic, 34, { anchor: 'middle', weight: 'bold', family })];
  if (lang === 'km') out.unshift(text(W / 2, 60, 'ព្រះរាជាណាចក្រកម្ពុជា', 26, { family: KM, anchor: 'middle' }));
  const date = `${int(r, 1, 28)}/${int(r, 1, 12)}/2026`;
  const label = lang === 'fr' ? 'Date :' : lang === 'km' ? 'កាលបរិច្ឆេទ' : 'Date:';
  out.push(text(820, 200, `${label} ${date}`, 24, { family: lang === 'km' ? KM : family }));
  out.push(
    text(
      90,
      200,
      lang === 'fr'
        ? `Patient : ${pick(r, ['Sok', 'Chan', 'Dara', 'Vanna'])} ${pick(r, ['M.', 'S.', 'K.'])}`
        : lang === 'km'
          ? 'ឈ្មោះអ្នកជំងឺ: ......'
          : 'Patient: ..................',
      24,
      { family: lang === 'km' ? KM : family },
    ),
  );
  return out;
}

// ---- table layouts ---------------------------------------------------------------------------

type Col = {
  role: 'no' | 'name' | 'qty' | 'route' | Slot | 'meal' | 'dosing' | 'days';
  w: number;
  head: string;
  head2?: string;
};

function drawTable(
  s: string[],
  cols: Col[],
  top: number,
  headH: number,
  rowH: number,
  rows: number,
  ruled: boolean,
): number[] {
  const total = cols.reduce((a, c) => a + c.w, 0);
  const scale = Math.min(1, (W - 120) / total);
  const xs = [60];
  for (const c of cols) xs.push((xs[xs.length - 1] ?? 0) + c.w * scale);
  const right = xs[xs.length - 1] ?? W - 60;
  const bottom = top + headH + rowH * rows;
  if (ruled) {
    for (const x of xs) s.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#222" stroke-width="2"/>`);
    for (let i = 0; i <= rows; i++)
      s.push(
        `<line x1="60" y1="${top + headH + rowH * i}" x2="${right}" y2="${top + headH + rowH * i}" stroke="#222" stroke-width="2"/>`,
      );
    s.push(`<line x1="60" y1="${top}" x2="${right}" y2="${top}" stroke="#222" stroke-width="2"/>`);
  }
  cols.forEach((c, i) => {
    const mid = ((xs[i] ?? 0) + (xs[i + 1] ?? 0)) / 2;
    const km = /[\u1780-\u17ff]/.test(c.head);
    s.push(
      text(mid, top + (c.head2 ? 36 : headH / 2 + 9), c.head, 23, {
        anchor: 'middle',
        family: km ? KM : LAT,
        weight: km ? 'normal' : 'bold',
      }),
    );
    if (c.head2) s.push(text(mid, top + 76, c.head2, 20, { anchor: 'middle' }));
  });
  return xs;
}

function cellX(xs: number[], cols: Col[], role: Col['role'], where: 'mid' | 'left' = 'mid'): number {
  const i = cols.findIndex((c) => c.role === role);
  return where === 'left' ? (xs[i] ?? 0) + 12 : ((xs[i] ?? 0) + (xs[i + 1] ?? 0)) / 2;
}

const KM_SLOTS = ['ព្រឹក', 'ថ្ងៃត្រង់', 'ល្ងាច', 'យប់'];
const EN_SLOTS = ['Morning', 'Noon', 'Evening', 'Night'];
const HOURS = ['(6-8)', '(11-12)', '(17-18)', '(20-22)'];
const HOURS_H = ['6h-8h', '11h-12h', '17h-18h', '20h-22h'];

function slotTable(r: R, kind: 'ruled-km' | 'spaced-en' | 'hours-table' | 'km-duration'): Body {
  const km = kind === 'ruled-km' || kind === 'km-duration';
  const ds = drugs(r, int(r, 3, 5), km ? 'km' : 'en');
  const route = kind === 'ruled-km' && r() < 0.6;
  const meal = kind === 'ruled-km' || (kind === 'spaced-en' && r() < 0.7);
  const cols: Col[] = [
    { role: 'no', w: 55, head: km ? 'ល.រ' : 'No' },
    { role: 'name', w: 340, head: km ? 'ឈ្មោះឱសថ' : 'Medicine' },
  ];
  if (kind !== 'km-duration') cols.push({ role: 'qty', w: km ? 200 : 140, head: km ? 'ចំនួន' : 'Qty' });
  if (route) cols.push({ role: 'route', w: 70, head: km ? 'ផ្លូវ' : 'Route' });
  SLOTS.forEach((sl, i) => {
    const head = kind === 'hours-table' ? (HOURS_H[i] ?? '') : km ? (KM_SLOTS[i] ?? '') : (EN_SLOTS[i] ?? '');
    cols.push({
      role: sl,
      w: kind === 'km-duration' ? 120 : 105,
      head,
      ...(kind === 'ruled-km' ? { head2: HOURS[i] } : {}),
    });
  });
  if (kind === 'km-duration') cols.push({ role: 'days', w: 130, head: 'រយៈពេល' });
  if (meal) cols.push({ role: 'meal', w: 160, head: km ? 'ការណែនាំ' : 'Instructions' });
  const s: string[] = [];
  const top = 330;
  const headH = kind === 'ruled-km' ? 95 : 64;
  const rowH = 72;
  const ruled = kind !== 'spaced-en';
  const xs = drawTable(s, cols, top, headH, rowH, ds.length, ruled);
  if (!ruled && r() < 0.5)
    s.push(
      `<line x1="60" y1="${top + headH}" x2="${xs[xs.length - 1] ?? 1100}" y2="${top + headH}" stroke="#333" stroke-width="2"/>`,
    );
  const meds: Body['meds'] = [];
  ds.forEach((d, k) => {
    const y = top + headH + rowH * k + 46;
    const sc = sched(r, kind === 'spaced-en');
    const days = pick(r, [3, 5, 7, 10, 14]);
    const qty = Math.ceil(daily(sc) * days);
    const unitKm = d.form === 'capsule' ? 'គ្រាប់' : r() < 0.3 ? 'គ្រាប់ស្រោប' : 'គ្រាប់';
    s.push(text(cellX(xs, cols, 'no') - 8, y, String(k + 1), 23));
    s.push(text(cellX(xs, cols, 'name', 'left'), y, `${d.name} ${d.strength}`, 23));
    const extra: Record<string, unknown> = {};
    if (kind !== 'km-duration') {
      const q = km ? `${qty} ${unitKm}` : `${qty} ${d.form === 'capsule' ? 'caps' : 'tabs'}`;
      s.push(text(cellX(xs, cols, 'qty'), y, q, 23, { anchor: 'middle', family: km ? KM : LAT }));
      extra['quantity'] = qty;
      if (km) extra['quantity_unit'] = unitKm === 'គ្រាប់' ? 'tablet' : 'coated tablet';
      extra['duration_days'] = Math.ceil(qty / daily(sc) - 1e-9);
    } else {
      s.push(text(cellX(xs, cols, 'days'), y, `${days} ថ្ងៃ`, 23, { anchor: 'middle', family: KM }));
      extra['duration_days'] = days;
    }
    if (route) s.push(text(cellX(xs, cols, 'route'), y, 'PO', 22, { anchor: 'middle' }));
    for (const sl of SLOTS) {
      const v = sc[sl];
      let t = v === 0 ? pick(r, ['-', '-', '0']) : fmtDose(v);
      if (kind === 'km-duration' && v > 0) t = `${fmtDose(v)} គ្រាប់`;
      if (kind === 'spaced-en' && v === 0 && r() < 0.3) t = '';
      s.push(text(cellX(xs, cols, sl), y, t, 23, { anchor: 'middle', family: /[\u1780-\u17ff]/.test(t) ? KM : LAT }));
    }
    if (meal) {
      const after = r() < 0.6;
      const m = km ? (after ? 'ក្រោយបាយ' : 'មុនបាយ') : after ? 'after meal' : 'before meal';
      s.push(text(cellX(xs, cols, 'meal'), y, m, 21, { anchor: 'middle', family: km ? KM : LAT }));
      extra['take_after_meal'] = after;
      extra['take_before_meal'] = !after;
    }
    meds.push(med(d, sc, extra));
  });
  return { svg: s, meds };
}

function patternTable(r: R): Body {
  const ds = drugs(r, int(r, 3, 5), 'en');
  const cols: Col[] = [
    { role: 'name', w: 420, head: 'Medicine' },
    { role: 'dosing', w: 220, head: 'Dose' },
    { role: 'days', w: 150, head: 'Days' },
    { role: 'qty', w: 140, head: 'Qty' },
  ];
  const s: string[] = [];
  const top = 330;
  const xs = drawTable(s, cols, top, 64, 72, ds.length, r() < 0.5);
  const meds: Body['meds'] = [];
  ds.forEach((d, k) => {
    const y = top + 64 + 72 * k + 46;
    const sc = sched(r);
    const days = pick(r, [5, 7, 10, 14, 30]);
    const four = r() < 0.75 || sc.night > 0;
    const v = SLOTS.map((sl) => fmtDose(sc[sl]));
    s.push(text(cellX(xs, cols, 'name', 'left'), y, `${k + 1}. ${d.name} ${d.strength}`, 23));
    s.push(text(cellX(xs, cols, 'dosing'), y, (four ? v : v.slice(0, 3)).join('-'), 24, { anchor: 'middle' }));
    s.push(
      text(cellX(xs, cols, 'days'), y, r() < 0.5 ? `${days} ថ្ងៃ` : `${days} days`, 23, {
        anchor: 'middle',
        family: KM,
      }),
    );
    const qty = Math.ceil(daily(sc) * days);
    s.push(text(cellX(xs, cols, 'qty'), y, String(qty), 23, { anchor: 'middle' }));
    meds.push(med(d, sc, { quantity: qty, duration_days: days }));
  });
  return { svg: s, meds };
}

// ---- free-text layouts -----------------------------------------------------------------------

const TIMES_EN: Record<number, string> = {
  1: 'once daily',
  2: 'twice daily',
  3: 'three times a day',
  4: 'four times a day',
};
const CANON: Record<number, Sched> = {
  1: { morning: 1, noon: 0, evening: 0, night: 0 },
  2: { morning: 1, noon: 0, evening: 1, night: 0 },
  3: { morning: 1, noon: 1, evening: 1, night: 0 },
  4: { morning: 1, noon: 1, evening: 1, night: 1 },
};

function clinicList(r: R, family: string, hand: boolean): Body {
  const ds = drugs(r, int(r, 3, 5), 'en');
  const s: string[] = [];
  s.push(text(90, 300, 'Rx', 40, { family, weight: 'bold' }));
  const meds: Body['meds'] = [];
  const lineH = hand ? 96 : 86;
  ds.forEach((d, k) => {
    const y = 380 + lineH * k;
    const days = pick(r, [3, 5, 7, 10, 14]);
    let sc: Sched;
    let dosing: string;
    if (r() < 0.65) {
      sc = sched(r);
      const v = SLOTS.map((sl) => fmtDose(sc[sl]));
      dosing = (sc.night > 0 || r() < 0.3 ? v : v.slice(0, 3)).join('-');
    } else {
      const times = pick(r, [1, 2, 2, 3, 3, 4]);
      sc = { ...(CANON[times] ?? { morning: 1, noon: 0, evening: 1, night: 0 }) };
      dosing = `1 ${d.form === 'capsule' ? 'cap' : 'tab'} ${TIMES_EN[times] ?? 'twice daily'}`;
    }
    const dur = pick(r, [`x ${days} days`, `for ${days} days`, `× ${days} days`]);
    const after = r() < 0.5 ? true : r() < 0.5 ? false : null;
    const meal = after === null ? '' : after ? '  after meal' : '  before meal';
    const line = `${k + 1}. ${d.name} ${d.strength}   ${dosing} ${dur}${meal}`;
    s.push(text(110, y, line, hand ? 27 : 25, { family }));
    meds.push(
      med(d, sc, {
        duration_days: days,
        ...(after !== null ? { take_after_meal: after, take_before_meal: !after } : {}),
      }),
    );
  });
  return { svg: s, meds };
}

const FR_SLOTS: Record<string, Sched> = {
  'le matin': { morning: 1, noon: 0, evening: 0, night: 0 },
  'matin et soir': { morning: 1, noon: 0, evening: 1, night: 0 },
  'matin, midi et soir': { morning: 1, noon: 1, evening: 1, night: 0 },
  'le soir': { morning: 0, noon: 0, evening: 1, night: 0 },
  'au coucher': { morning: 0, noon: 0, evening: 0, night: 1 },
};

function ordonnance(r: R): Body {
  const ds = drugs(r, int(r, 2, 4), 'fr');
  const s: string[] = [text(W / 2, 290, 'ORDONNANCE', 34, { anchor: 'middle', weight: 'bold' })];
  const meds: Body['meds'] = [];
  ds.forEach((d, k) => {
    const y = 380 + 130 * k;
    const days = pick(r, [5, 7, 10, 15, 30]);
    const unit = d.form === 'capsule' ? 'gélule' : 'comprimé';
    const n = pick(r, [1, 1, 1, 2]);
    const key = pick(r, Object.keys(FR_SLOTS));
    const base = FR_SLOTS[key] ?? { morning: 1, noon: 0, evening: 1, night: 0 };
    const sc: Sched = {
      morning: base.morning * n,
      noon: base.noon * n,
      evening: base.evening * n,
      night: base.night * n,
    };
    const meal = r() < 0.6 ? pick(r, ['après le repas', 'avant le repas']) : null;
    const form = d.form === 'capsule' ? 'gélules' : 'comprimés';
    s.push(text(100, y, `${d.name} ${d.strength.replace('mg', ' mg')}, ${form}`, 25, { weight: 'bold' }));
    const dose = `${n} ${unit}${n > 1 ? 's' : ''} ${key}${meal !== null ? `, ${meal}` : ''}, pendant ${days} jours.`;
    s.push(text(130, y + 44, dose, 24));
    meds.push(
      med(d, sc, {
        duration_days: days,
        ...(meal !== null
          ? { take_after_meal: meal.startsWith('après'), take_before_meal: meal.startsWith('avant') }
          : {}),
      }),
    );
  });
  return { svg: s, meds };
}

function tickForm(r: R): Body {
  const ds = drugs(r, 8, 'en').filter((d) => d.known);
  const s: string[] = [
    text(W / 2, 290, 'CHRONIC DISEASE CLINIC - MEDICATION FORM', 28, { anchor: 'middle', weight: 'bold' }),
  ];
  const xs = [720, 840, 960, 1080];
  KM_SLOTS.forEach((h, i) => s.push(text((xs[i] ?? 0) + 20, 380, h, 23, { family: KM, anchor: 'middle' })));
  const meds: Body['meds'] = [];
  ds.forEach((d, k) => {
    const y = 420 + k * 88;
    s.push(text(100, y + 30, `${d.name} ${d.strength}`, 25));
    const ticked = r() < 0.5 || (k === ds.length - 1 && meds.length === 0);
    const sc: Sched = ticked ? sched(r) : { morning: 0, noon: 0, evening: 0, night: 0 };
    xs.forEach((x, i) => {
      s.push(`<rect x="${x}" y="${y}" width="40" height="40" fill="none" stroke="#222" stroke-width="3"/>`);
      if ((sc[SLOTS[i] as Slot] ?? 0) > 0) {
        const j = (): number => (r() - 0.5) * 6;
        s.push(
          `<path d="M ${x + 6 + j()} ${y + 20 + j()} L ${x + 17 + j()} ${y + 35 + j()} L ${x + 44 + j()} ${y - 8 + j()}" stroke="#1a237e" stroke-width="5" fill="none" stroke-linecap="round"/>`,
        );
      }
    });
    if (ticked) {
      for (const sl of SLOTS) if (sc[sl] > 1) sc[sl] = 1;
      meds.push(med(d, sc, {}));
    }
  });
  return { svg: s, meds };
}

// ---- photo degradations -----------------------------------------------------------------------

/** Projective warp of a grey page: the corners move inwards by up to `k` of the size. */
async function perspective(png: Buffer, r: R, k: number): Promise<Buffer> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  const src = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ] as const;
  const dst = src.map(([x, y]) => [x + (x === 0 ? 1 : -1) * r() * k * w, y + (y === 0 ? 1 : -1) * r() * k * h]);
  // Homography dst → src (inverse mapping), solved by Gaussian elimination.
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [X, Y] = dst[i] as number[];
    const [x, y] = src[i] as readonly number[];
    A.push([X ?? 0, Y ?? 0, 1, 0, 0, 0, -(x ?? 0) * (X ?? 0), -(x ?? 0) * (Y ?? 0), x ?? 0]);
    A.push([0, 0, 0, X ?? 0, Y ?? 0, 1, -(y ?? 0) * (X ?? 0), -(y ?? 0) * (Y ?? 0), y ?? 0]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let i = c + 1; i < 8; i++) if (Math.abs(A[i]?.[c] ?? 0) > Math.abs(A[p]?.[c] ?? 0)) p = i;
    [A[c], A[p]] = [A[p] as number[], A[c] as number[]];
    const rowC = A[c] as number[];
    for (let i = 0; i < 8; i++) {
      if (i === c) continue;
      const row = A[i] as number[];
      const f = (row[c] ?? 0) / (rowC[c] ?? 1);
      for (let j = c; j < 9; j++) row[j] = (row[j] ?? 0) - f * (rowC[j] ?? 0);
    }
  }
  const m = A.map((row, i) => (row[8] ?? 0) / (row[i] ?? 1));
  const [a, b, c0, d, e, f, g, hh] = m as [number, number, number, number, number, number, number, number];
  const out = Buffer.alloc(w * h, 200);
  for (let Y = 0; Y < h; Y++) {
    for (let X = 0; X < w; X++) {
      const z = g * X + hh * Y + 1;
      const x = (a * X + b * Y + c0) / z;
      const y = (d * X + e * Y + f) / z;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      if (xi < 0 || yi < 0 || xi >= w - 1 || yi >= h - 1) continue;
      const fx = x - xi;
      const fy = y - yi;
      const i0 = yi * w + xi;
      const v =
        (data[i0] ?? 0) * (1 - fx) * (1 - fy) +
        (data[i0 + 1] ?? 0) * fx * (1 - fy) +
        (data[i0 + w] ?? 0) * (1 - fx) * fy +
        (data[i0 + w + 1] ?? 0) * fx * fy;
      out[Y * w + X] = v;
    }
  }
  return sharp(out, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

function overlay(kind: Degradation, r: R): { svg: string; blend: 'multiply' | 'screen' } | null {
  const wrap = (defs: string, body: string): string =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs>${defs}</defs>${body}</svg>`;
  if (kind === 'hard-shadow') {
    const x = 200 + r() * 700;
    return {
      svg: wrap(
        '',
        `<polygon points="${x},0 ${x + 300 + r() * 400},0 ${x + r() * 300},${H} ${x - 200},${H}" fill="#7a7a7a"/>`,
      ).replace('<polygon', '<rect width="100%" height="100%" fill="#fff"/><polygon'),
      blend: 'multiply',
    };
  }
  if (kind === 'soft-shadow') {
    return {
      svg: wrap(
        `<linearGradient id="g" x1="0" y1="0" x2="1" y2="${(r() * 0.8).toFixed(2)}"><stop offset="0" stop-color="#fff"/><stop offset="0.5" stop-color="#ccc"/><stop offset="1" stop-color="#777"/></linearGradient>`,
        '<rect width="100%" height="100%" fill="url(#g)"/>',
      ),
      blend: 'multiply',
    };
  }
  if (kind === 'glare') {
    return {
      svg: wrap(
        `<radialGradient id="g" cx="${(0.3 + r() * 0.4).toFixed(2)}" cy="${(0.3 + r() * 0.4).toFixed(2)}" r="0.25"><stop offset="0" stop-color="#bbb"/><stop offset="1" stop-color="#000"/></radialGradient>`,
        '<rect width="100%" height="100%" fill="url(#g)"/>',
      ),
      blend: 'screen',
    };
  }
  if (kind === 'low-light') {
    return { svg: wrap('', '<rect width="100%" height="100%" fill="#8c8c8c"/>'), blend: 'multiply' };
  }
  return null;
}

async function photograph(svg: string, r: R, deg: Degradation): Promise<Buffer> {
  let png: Buffer = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
  const ov = overlay(deg, r);
  if (ov !== null)
    png = await sharp(png)
      .composite([{ input: Buffer.from(ov.svg), blend: ov.blend }])
      .png()
      .toBuffer();
  if (deg === 'perspective') png = await perspective(png, r, 0.06);
  const tilt = deg === 'rotation' ? (r() < 0.5 ? -1 : 1) * (2.5 + r() * 2.5) : (r() - 0.5) * 2;
  const blur = deg === 'blur' ? 1.4 + r() * 0.6 : 0.5 + r() * 0.4;
  const quality = deg === 'jpeg' ? 35 + int(r, 0, 10) : 70 + int(r, 0, 15);
  const width = int(r, 1000, 1300);
  const img = sharp(png)
    .tint({ r: 250, g: 246, b: 236 })
    .rotate(tilt, { background: '#c8c4bc' })
    .blur(blur)
    .resize({ width });
  if (deg === 'exif-rotation') {
    // Stored turned, with the EXIF tag that tells viewers (and the reader) to turn it back.
    const o = pick(r, [6, 3, 8] as const);
    const turn = o === 6 ? 270 : o === 3 ? 180 : 90;
    const upright = await img.png().toBuffer();
    return sharp(upright).rotate(turn).jpeg({ quality }).withMetadata({ orientation: o }).toBuffer();
  }
  return img.jpeg({ quality }).toBuffer();
}

// ---- samples ---------------------------------------------------------------------------------

function body(layout: LayoutName, r: R): { head: string[]; body: Body } {
  switch (layout) {
    case 'ruled-km':
    case 'km-duration':
      return { head: letterhead(r, 'km'), body: slotTable(r, layout) };
    case 'spaced-en':
    case 'hours-table':
      return { head: letterhead(r, 'en'), body: slotTable(r, layout) };
    case 'pattern-4':
      return { head: letterhead(r, 'en'), body: patternTable(r) };
    case 'clinic-list':
      return { head: letterhead(r, 'en'), body: clinicList(r, LAT, false) };
    case 'ordonnance-fr':
      return { head: letterhead(r, 'fr'), body: ordonnance(r) };
    case 'tick-form':
      return { head: [], body: tickForm(r) };
    case 'handwritten':
      return { head: letterhead(r, 'en'), body: clinicList(r, HAND, true) };
  }
}

/** Sample `index` of the set made from `seed`: layouts in turn, degradations spread over them. */
export async function generateSample(
  seed: number,
  index: number,
  opts: { unknownFirst?: boolean; degradation?: Degradation } = {},
): Promise<Sample> {
  const layout = LAYOUTS[index % LAYOUTS.length] as LayoutName;
  const degradation =
    opts.degradation ??
    (DEGRADATIONS[
      (Math.floor(index / LAYOUTS.length) + (index % LAYOUTS.length)) % DEGRADATIONS.length
    ] as Degradation);
  const r = rng(seed * 1_000_003 + index * 7919 + 17);
  unknownFirst = opts.unknownFirst === true;
  let drawn: ReturnType<typeof body>;
  try {
    drawn = body(layout, r);
  } finally {
    unknownFirst = false;
  }
  const { head, body: b } = drawn;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${head.join('')}${b.svg.join('\n')}</svg>`;
  const jpeg = await photograph(svg, r, degradation);
  b.meds.forEach((m, i) => (m['sequence'] = i + 1));
  const image = `gen-${seed}-${String(index).padStart(3, '0')}-${layout}-${degradation}.jpg`;
  return {
    jpeg,
    layout,
    degradation,
    truth: {
      image,
      note: `Generated (seed ${seed}, sample ${index}: ${layout}, ${degradation}) by test/reading/synth/layouts.ts.`,
      medications: b.meds,
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const val = (k: string, d: number): number => {
    const i = args.indexOf(k);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const outDir =
    args.find((a, i) => !a.startsWith('--') && !['--seed', '--count'].includes(args[i - 1] ?? '')) ??
    path.join(process.cwd(), '.generated');
  fs.mkdirSync(outDir, { recursive: true });
  const seed = val('--seed', 1);
  for (let i = 0; i < val('--count', LAYOUTS.length); i++) {
    const s = await generateSample(seed, i);
    fs.writeFileSync(path.join(outDir, s.truth.image), s.jpeg);
    fs.writeFileSync(
      path.join(outDir, s.truth.image.replace(/\.jpg$/, '.json')),
      `${JSON.stringify(s.truth, null, 2)}\n`,
    );
    console.log(s.truth.image);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
