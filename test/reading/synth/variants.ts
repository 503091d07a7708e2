/**
 * Harder labelled synthetic prescriptions, by category, for measuring what real Cambodian
 * prescriptions vary in: borderless tables (columns by whitespace only), slot columns headed by
 * hour ranges only, English-only and French-only headers, the quantity after the slots, a
 * free-text dosing column ("1-0-1", "1 tab x 2/day", "2 ដង/ថ្ងៃ", "bid") instead of slot
 * columns, two-line drug cells, ½ doses, ~900 px photos, stronger tilt and shear, pages turned
 * 90°/180° without EXIF, uneven light, JPEG quality 40.
 *
 *   npx tsx test/reading/synth/variants.ts [outDir] [--count N] [--only cat1,cat2]
 *
 * The bench (bench/read.bench.ts) generates these on the fly; a few live in
 * test/reading/fixtures (made with this script) for the end-to-end tests.
 *
 * Truth conventions for free-text dosing (CONTRACTS.md §1 slots): a pattern "a-b-c" is
 * morning-noon-evening, "a-b-c-d" adds night; "N times a day" spreads one dose over
 * 1 → morning, 2 → morning + evening, 3 → morning + noon + evening, 4 → all four.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  DRUGS,
  H,
  KM,
  LAT,
  SLOTS,
  W,
  header,
  pickDrugs,
  rng,
  text,
  type Drug,
  type Slot,
  type Style,
  type Truth,
} from './generate.ts';

type Lang = 'km' | 'en' | 'fr';
type Dosing = 'slots' | 'pattern' | 'frequency';

export interface TableSpec {
  lang: Lang;
  /** Grid lines; false: columns by whitespace only (maybe one rule under the header). */
  ruled: boolean;
  slotHeads: 'words' | 'words+hours' | 'hours';
  /** Quantity column before or after the slot (or dosing) columns. */
  qty: 'before' | 'after';
  dosing: Dosing;
  /** Strength on a second line of the name cell. */
  twoLine: boolean;
  /** Some doses are ½. */
  halves: boolean;
  remarks: boolean;
}

export interface PhotoSpec {
  width: [number, number];
  /** Maximum tilt, degrees (either way). */
  tilt: number;
  /** Horizontal/vertical shear (a phone held at an angle), fraction. */
  shear: number;
  quarterTurns: 0 | 1 | 2 | 3;
  jpeg: [number, number];
  light: 'gradient' | 'spot';
  blur: [number, number];
}

export interface Category {
  table: TableSpec;
  photo: PhotoSpec;
  note: string;
}

const BASE_TABLE: TableSpec = {
  lang: 'km',
  ruled: true,
  slotHeads: 'words+hours',
  qty: 'before',
  dosing: 'slots',
  twoLine: false,
  halves: false,
  remarks: false,
};
const BASE_PHOTO: PhotoSpec = {
  width: [1000, 1300],
  tilt: 2.5,
  shear: 0,
  quarterTurns: 0,
  jpeg: [62, 74],
  light: 'gradient',
  blur: [0.6, 1.1],
};

const cat = (note: string, table: Partial<TableSpec>, photo: Partial<PhotoSpec> = {}): Category => ({
  note,
  table: { ...BASE_TABLE, ...table },
  photo: { ...BASE_PHOTO, ...photo },
});

export const CATEGORIES: Record<string, Category> = {
  'borderless-en': cat('borderless table, English headers', {
    lang: 'en',
    ruled: false,
    slotHeads: 'words',
    remarks: true,
  }),
  'borderless-km': cat('borderless table, Khmer headers with hours', { lang: 'km', ruled: false }),
  'hours-only': cat('slot columns headed by hour ranges only', { lang: 'km', slotHeads: 'hours' }),
  'en-qty-after': cat('English headers, quantity after the slots', { lang: 'en', slotHeads: 'words', qty: 'after' }),
  'fr-qty-after': cat('French headers, quantity after the slots, borderless', {
    lang: 'fr',
    slotHeads: 'words',
    qty: 'after',
    ruled: false,
  }),
  'pattern-101': cat('a dosing column "1-0-1" instead of slot columns', {
    lang: 'en',
    dosing: 'pattern',
    slotHeads: 'words',
  }),
  frequency: cat('a dosing column "1 tab x 2/day", "bid", "2 ដង/ថ្ងៃ"', {
    lang: 'en',
    dosing: 'frequency',
    slotHeads: 'words',
    remarks: true,
  }),
  'frequency-km': cat('Khmer dosing column "1 គ្រាប់ 2 ដង/ថ្ងៃ"', { lang: 'km', dosing: 'frequency', slotHeads: 'words' }),
  'two-line': cat('drug name and strength on two lines', { lang: 'km', twoLine: true }),
  halves: cat('½ doses', { lang: 'en', slotHeads: 'words', halves: true }),
  lowres: cat('~900 px photo', { lang: 'km' }, { width: [850, 950] }),
  tilt5: cat('tilt 3.5–5° and shear', { lang: 'en', slotHeads: 'words' }, { tilt: 5, shear: 0.04 }),
  rot90: cat('page turned 90° (no EXIF)', { lang: 'km' }, { quarterTurns: 1, tilt: 1.5 }),
  rot180: cat('page upside down (no EXIF)', { lang: 'en', slotHeads: 'words' }, { quarterTurns: 2, tilt: 1.5 }),
  rot270: cat('page turned 270° (no EXIF)', { lang: 'fr', slotHeads: 'words' }, { quarterTurns: 3, tilt: 1.5 }),
  'jpeg40-light': cat(
    'JPEG quality 40, a lamp spot and dark corner',
    { lang: 'km' },
    { jpeg: [40, 40], light: 'spot', blur: [0.8, 1.3] },
  ),
};

const HEADS: Record<Lang, { no: string; name: string; qty: string; slots: string[]; dosage: string; remarks: string }> =
  {
    km: {
      no: 'ល.រ',
      name: 'ឈ្មោះឱសថ',
      qty: 'ចំនួន',
      slots: ['ព្រឹក', 'ថ្ងៃត្រង់', 'ល្ងាច', 'យប់'],
      dosage: 'របៀបប្រើ',
      remarks: 'សម្គាល់',
    },
    en: {
      no: 'No',
      name: 'Medicine',
      qty: 'Qty',
      slots: ['Morning', 'Noon', 'Evening', 'Night'],
      dosage: 'Dosage',
      remarks: 'Remarks',
    },
    fr: {
      no: 'N°',
      name: 'Médicament',
      qty: 'Quantité',
      slots: ['Matin', 'Midi', 'Soir', 'Nuit'],
      dosage: 'Posologie',
      remarks: 'Remarques',
    },
  };
const HOURS = ['(6-8)', '(11-12)', '(17-18)', '(20-22)'];
const MEAL: Record<Lang, [string, string]> = {
  km: ['ក្រោយបាយ', 'មុនបាយ'],
  en: ['after meal', 'before meal'],
  fr: ['après repas', 'avant repas'],
};

const isKm = (s: string): boolean => /[\u1780-\u17ff]/.test(s);
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function fmtDose(v: number, r: () => number, empty: boolean): string {
  if (v === 0) return empty ? '' : pick(r, ['-', '-', '0']);
  if (v === 0.5) return pick(r, ['½', '1/2']);
  if (v === 1.5) return '1½';
  return String(v);
}

function slotSchedule(r: () => number, halves: boolean): Record<Slot, number> {
  const patterns: Array<[number, number, number, number]> = [
    [1, 0, 1, 0],
    [1, 1, 1, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 1],
    [1, 0, 1, 1],
    [2, 0, 2, 0],
    [1, 1, 1, 1],
    [0, 0, 1, 0],
  ];
  const p = [...pick(r, patterns)];
  if (halves && r() < 0.7) {
    const i = p.findIndex((v) => v > 0);
    if (i >= 0) p[i] = r() < 0.8 ? 0.5 : 1.5;
    if (r() < 0.5) for (let k = 0; k < 4; k++) if ((p[k] ?? 0) === 1) p[k] = 0.5;
  }
  return { morning: p[0] ?? 0, noon: p[1] ?? 0, evening: p[2] ?? 0, night: p[3] ?? 0 };
}

const CANON: Record<number, [number, number, number, number]> = {
  1: [1, 0, 0, 0],
  2: [1, 0, 1, 0],
  3: [1, 1, 1, 0],
  4: [1, 1, 1, 1],
};

/** A free-text dosing cell and the schedule it means (by the conventions above). */
function dosingText(r: () => number, spec: TableSpec, d: Drug): { text: string; sch: Record<Slot, number> } {
  if (spec.dosing === 'pattern') {
    const sch = slotSchedule(r, spec.halves);
    const v = [sch.morning, sch.noon, sch.evening, sch.night].map((x) => (x === 0.5 ? '½' : String(x)));
    const sep = pick(r, ['-', '-', ' - ', '+']);
    const text = sch.night === 0 && r() < 0.6 ? v.slice(0, 3).join(sep) : v.join(sep);
    return { text, sch };
  }
  const times = pick(r, [1, 2, 2, 3, 3, 4]);
  const dose = r() < 0.75 ? 1 : 2;
  const c = CANON[times] ?? [1, 0, 1, 0];
  const sch = { morning: c[0] * dose, noon: c[1] * dose, evening: c[2] * dose, night: c[3] * dose };
  const unitEn = d.unitEn;
  let text: string;
  if (spec.lang === 'km') {
    text = pick(r, [
      `${dose} ${d.unitKm} ${times} ដង/ថ្ងៃ`,
      `${dose} ${d.unitKm} x ${times} ដង`,
      `ថ្ងៃ ${times} ដង ម្តង ${dose} ${d.unitKm}`,
    ]);
  } else if (spec.lang === 'fr') {
    text = pick(r, [`${dose} cp x ${times}/j`, `${dose} cp ${times} fois/jour`]);
  } else {
    const lat = ['', 'od', 'bid', 'tid', 'qid'][times] ?? 'bid';
    const opts = [
      `${dose} ${unitEn} x ${times}/day`,
      `${dose} x ${times}`,
      `x${times}/day`.replace('x', dose === 1 ? 'x' : `${dose} ${unitEn} x`),
      `${dose} ${unitEn} ${times} times a day`,
    ];
    if (dose === 1) opts.push(lat.toUpperCase(), `1 ${unitEn} ${lat}`);
    text = pick(r, opts);
  }
  return { text, sch };
}

interface Col {
  role: 'no' | 'name' | 'qty' | Slot | 'dosage' | 'remarks';
  w: number;
}

export function variantTable(r: () => number, spec: TableSpec): { svg: string; meds: Array<Record<string, unknown>> } {
  const drugs = pickDrugs(r, 3 + Math.floor(r() * 3));
  const heads = HEADS[spec.lang];
  const cols: Col[] = [
    { role: 'no', w: 60 },
    { role: 'name', w: spec.dosing === 'slots' ? 400 : 380 },
  ];
  const qty: Col = { role: 'qty', w: 150 };
  if (spec.qty === 'before') cols.push(qty);
  if (spec.dosing === 'slots') for (const s of SLOTS) cols.push({ role: s, w: 105 });
  else cols.push({ role: 'dosage', w: 300 });
  if (spec.qty === 'after') cols.push(qty);
  if (spec.remarks) cols.push({ role: 'remarks', w: 170 });
  const total = cols.reduce((s, c) => s + c.w, 0);
  const scale = Math.min(1, (W - 110) / total);
  const xs: number[] = [60];
  for (const c of cols) xs.push((xs[xs.length - 1] ?? 0) + c.w * scale);
  const right = xs[xs.length - 1] ?? W - 60;
  const km = spec.lang === 'km';
  const withHours = spec.dosing === 'slots' && spec.slotHeads !== 'words';
  const headH = withHours && spec.slotHeads === 'words+hours' ? 95 : km ? 70 : 60;
  const rowH = spec.twoLine ? 100 : 70;
  const top = 470;
  const bottom = top + headH + rowH * drugs.length;
  const s: string[] = [];
  if (spec.ruled) {
    for (const x of xs) s.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#222" stroke-width="2"/>`);
    for (const y of [top, top + headH, ...drugs.map((_, i) => top + headH + rowH * (i + 1))]) {
      s.push(`<line x1="${xs[0]}" y1="${y}" x2="${right}" y2="${y}" stroke="#222" stroke-width="2"/>`);
    }
  } else if (r() < 0.5) {
    s.push(
      `<line x1="${xs[0]}" y1="${top + headH}" x2="${right}" y2="${top + headH}" stroke="#333" stroke-width="2"/>`,
    );
  }
  const mid = (i: number): number => ((xs[i] ?? 0) + (xs[i + 1] ?? 0)) / 2;
  cols.forEach((c, i) => {
    let label: string;
    if (c.role === 'no') label = heads.no;
    else if (c.role === 'name') label = heads.name;
    else if (c.role === 'qty') label = heads.qty;
    else if (c.role === 'dosage') label = heads.dosage;
    else if (c.role === 'remarks') label = heads.remarks;
    else
      label =
        spec.slotHeads === 'hours' ? (HOURS[SLOTS.indexOf(c.role)] ?? '') : (heads.slots[SLOTS.indexOf(c.role)] ?? '');
    const k = isKm(label);
    s.push(
      text(mid(i), top + 40, label, 24, { family: k ? KM : LAT, anchor: 'middle', weight: k ? 'normal' : 'bold' }),
    );
    if (spec.slotHeads === 'words+hours' && (SLOTS as string[]).includes(c.role)) {
      s.push(text(mid(i), top + 80, HOURS[SLOTS.indexOf(c.role as Slot)] ?? '', 20, { anchor: 'middle' }));
    }
  });
  const meds: Array<Record<string, unknown>> = [];
  drugs.forEach((d, k) => {
    const y = top + headH + rowH * k + 45;
    const ci = (role: Col['role']): number => cols.findIndex((c) => c.role === role);
    let sch: Record<Slot, number>;
    let dosing: string | null = null;
    if (spec.dosing === 'slots') sch = slotSchedule(r, spec.halves);
    else {
      const dt = dosingText(r, spec, d);
      sch = dt.sch;
      dosing = dt.text;
    }
    const daily = SLOTS.reduce((a, sl) => a + sch[sl], 0);
    const days = [3, 5, 7, 10, 14][Math.floor(r() * 5)] ?? 7;
    const quantity = Math.ceil(daily * days);
    s.push(text((xs[ci('no')] ?? 0) + 20, y, `${k + 1}`, 24));
    const nx = (xs[ci('name')] ?? 0) + 12;
    if (spec.twoLine && d.strength !== null) {
      s.push(text(nx, y - 14, d.name, 24));
      s.push(text(nx, y + 16, d.strength, 24));
    } else s.push(text(nx, y, d.strength ? `${d.name} ${d.strength}` : d.name, 24));
    const unitTxt = km ? d.unitKm : spec.lang === 'fr' ? 'cp' : d.unitEn;
    s.push(text(mid(ci('qty')), y, `${quantity} ${unitTxt}`, 24, { family: km ? KM : LAT, anchor: 'middle' }));
    if (dosing !== null) {
      s.push(text((xs[ci('dosage')] ?? 0) + 14, y, dosing, 22, { family: isKm(dosing) ? KM : LAT }));
    } else {
      const empty = !spec.ruled && r() < 0.3;
      for (const sl of SLOTS) s.push(text(mid(ci(sl)), y, fmtDose(sch[sl], r, empty), 24, { anchor: 'middle' }));
    }
    let after: boolean | undefined;
    if (spec.remarks) {
      after = r() < 0.6;
      const m = MEAL[spec.lang][after ? 0 : 1];
      s.push(text(mid(ci('remarks')), y, m, 20, { anchor: 'middle', family: isKm(m) ? KM : LAT }));
    }
    const perDay = daily;
    meds.push({
      sequence: k + 1,
      name: d.name,
      strength: d.strength,
      quantity,
      ...(km ? { quantity_unit: d.unitKm === 'គ្រាប់' ? 'tablet' : d.unit } : {}),
      dosage_schedule: sch,
      duration_days: Math.ceil(quantity / perDay - 1e-9),
      ...(after !== undefined ? { take_after_meal: after, take_before_meal: !after } : {}),
    });
  });
  return { svg: s.join('\n'), meds };
}

/** Photograph-looking degradation with the category's strength. */
export async function photograph(svg: string, r: () => number, p: PhotoSpec): Promise<Buffer> {
  const page = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
  const sign = r() < 0.5 ? -1 : 1;
  const angle = p.tilt > 3 ? sign * (3.5 + r() * (p.tilt - 3.5)) : (r() - 0.5) * 2 * p.tilt;
  const light =
    p.light === 'spot'
      ? `<radialGradient id="g" cx="${(0.2 + r() * 0.6).toFixed(2)}" cy="${(0.2 + r() * 0.5).toFixed(2)}" r="0.8">
          <stop offset="0" stop-color="#fff"/><stop offset="0.5" stop-color="#bbb"/><stop offset="1" stop-color="#555"/></radialGradient>`
      : `<linearGradient id="g" x1="0" y1="0" x2="1" y2="${(r() * 0.8).toFixed(2)}">
          <stop offset="0" stop-color="#fff"/><stop offset="${(0.4 + r() * 0.4).toFixed(2)}" stop-color="#ddd"/><stop offset="1" stop-color="#888"/></linearGradient>`;
  const shadow = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs>${light}</defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  let img = sharp(
    await sharp(page)
      .composite([{ input: Buffer.from(shadow), blend: 'multiply' }])
      .tint({ r: 250, g: 245, b: 235 })
      .png()
      .toBuffer(),
  );
  if (p.shear > 0) {
    const sx = (r() - 0.5) * 2 * p.shear;
    const sy = (r() - 0.5) * 2 * p.shear;
    img = sharp(await img.affine([1, sx, sy, 1], { background: '#c8c4bc' }).png().toBuffer());
  }
  const width = p.width[0] + Math.floor(r() * (p.width[1] - p.width[0] + 1));
  const blur = p.blur[0] + r() * (p.blur[1] - p.blur[0]);
  const q = p.jpeg[0] + Math.floor(r() * (p.jpeg[1] - p.jpeg[0] + 1));
  const turned = await img.rotate(angle, { background: '#c8c4bc' }).blur(blur).resize({ width }).png().toBuffer();
  // A quarter turn without EXIF: the pixels themselves are turned (as some phones store them).
  return sharp(turned)
    .rotate(p.quarterTurns * 90)
    .jpeg({ quality: q })
    .toBuffer();
}

export async function generateVariant(category: string, seed: number): Promise<{ jpeg: Buffer; truth: Truth }> {
  const c = CATEGORIES[category];
  if (c === undefined) throw new Error(`unknown category ${category}`);
  const r = rng(seed * 7919 + category.length * 31 + category.charCodeAt(0));
  const style: Style = c.table.lang === 'km' ? 'km-ruled' : c.table.lang === 'fr' ? 'fr-ruled' : 'en-remarks';
  const h = header(r, style);
  const body = variantTable(r, c.table);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${h.svg}${body.svg}</svg>`;
  const jpeg = await photograph(svg, r, c.photo);
  const name = `synth-${category}-${seed}`;
  const truth = {
    image: `${name}.jpg`,
    note: `Synthetic (${category}: ${c.note}; seed ${seed}). Generated by test/reading/synth/variants.ts.`,
    ...h.truth,
    medications: body.meds,
  } as Truth;
  return { jpeg, truth };
}

export { DRUGS };

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const args = process.argv.slice(2);
  const outDir =
    args.find((a, i) => !a.startsWith('--') && !['--count', '--only', '--seed'].includes(args[i - 1] ?? '')) ??
    path.join(here, '..', 'fixtures');
  const ci = args.indexOf('--count');
  const count = ci >= 0 ? Number(args[ci + 1]) : 1;
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? (args[oi + 1] ?? '').split(',') : Object.keys(CATEGORIES);
  const si = args.indexOf('--seed');
  const seed0 = si >= 0 ? Number(args[si + 1]) : 201;
  fs.mkdirSync(outDir, { recursive: true });
  for (const category of only) {
    for (let i = 0; i < count; i++) {
      const { jpeg, truth } = await generateVariant(category, seed0 + i);
      fs.writeFileSync(path.join(outDir, truth.image), jpeg);
      fs.writeFileSync(
        path.join(outDir, truth.image.replace(/\.jpg$/, '.json')),
        `${JSON.stringify(truth, null, 2)}\n`,
      );
      console.log(`${truth.image}: ${(jpeg.length / 1024).toFixed(0)} KB, ${truth.medications.length} medications`);
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
