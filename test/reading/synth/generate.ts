/**
 * Labelled synthetic prescriptions for measuring the reader's generality: tables rendered with
 * Khmer fonts (Debian fonts-khmeros, through sharp's SVG/Pango renderer), then photographed-
 * looking: tilted, blurred, shadowed, JPEG-compressed. Writes <name>.jpg + <name>.json (truth in
 * the format of ../../../../shared/fixtures/prescriptions/*.json).
 *
 *   npx tsx test/reading/synth/generate.ts [outDir] [--count N]   (default: test/reading/fixtures)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export type Slot = 'morning' | 'noon' | 'evening' | 'night';
export const SLOTS: Slot[] = ['morning', 'noon', 'evening', 'night'];

export interface Drug {
  name: string;
  strength: string | null;
  unitKm: string;
  unitEn: string;
  unit: string;
}

export const DRUGS: Drug[] = [
  { name: 'Amoxicillin', strength: '500mg', unitKm: 'គ្រាប់', unitEn: 'caps', unit: 'capsule' },
  { name: 'Paracetamol', strength: '500mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Metformin', strength: '850mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Amlodipine', strength: '5mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Omeprazole', strength: '20mg', unitKm: 'គ្រាប់', unitEn: 'caps', unit: 'capsule' },
  { name: 'Metronidazole', strength: '250mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Cetirizine', strength: '10mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Losartan', strength: '50mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Ibuprofen', strength: '400mg', unitKm: 'គ្រាប់ស្រោប', unitEn: 'tab', unit: 'coated tablet' },
  { name: 'Vitamin B Complex', strength: null, unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Ciprofloxacin', strength: '500mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Glibenclamide', strength: '5mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Atorvastatin', strength: '20mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Salbutamol', strength: '4mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Loratadine', strength: '10mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Folic Acid', strength: '5mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Diclofenac', strength: '50mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
  { name: 'Ferrous Sulfate', strength: '200mg', unitKm: 'គ្រាប់', unitEn: 'tab', unit: 'tablet' },
];

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const KM = 'Khmer OS';
export const LAT = 'DejaVu Sans';

export function text(
  x: number,
  y: number,
  s: string,
  size: number,
  opts: { family?: string; anchor?: string; weight?: string; fill?: string } = {},
): string {
  return `<text x="${x}" y="${y}" font-family="${opts.family ?? LAT}" font-size="${size}" text-anchor="${opts.anchor ?? 'start'}" font-weight="${opts.weight ?? 'normal'}" fill="${opts.fill ?? '#111'}">${esc(s)}</text>`;
}

export type Style = 'km-ruled' | 'en-remarks' | 'fr-ruled' | 'tick-form';

export interface Truth {
  image: string;
  note: string;
  hospital_name: string;
  prescription_number: string;
  prescription_date: string;
  patient: { age: number; gender: 'female' | 'male' };
  diagnosis: string[];
  medications: Array<Record<string, unknown>>;
}

export const W = 1240;
export const H = 1754;

export function header(
  r: () => number,
  style: Style,
): { svg: string; truth: Omit<Truth, 'image' | 'note' | 'medications'> } {
  const hospitals = [
    'Preah Kossamak Hospital',
    'Calmette Hospital',
    'Angkor Referral Hospital',
    'Sen Sok Polyclinic',
    'Mongkol Medical Center',
  ];
  const hospital = hospitals[Math.floor(r() * hospitals.length)] ?? 'Calmette Hospital';
  const num = `RX${String(Math.floor(r() * 9e6 + 1e6))}`;
  const d = 1 + Math.floor(r() * 28);
  const m = 1 + Math.floor(r() * 12);
  const date = `${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}/2025`;
  const iso = `2025-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const age = 18 + Math.floor(r() * 60);
  const female = r() < 0.5;
  const diag =
    ['Hypertension', 'Type 2 Diabetes', 'Acute Bronchitis', 'Gastritis', 'Urinary Tract Infection'][
      Math.floor(r() * 5)
    ] ?? 'Gastritis';
  const s: string[] = [];
  s.push(text(W / 2, 90, 'មន្ទីរពេទ្យ', 34, { family: KM, anchor: 'middle' }));
  s.push(text(W / 2, 140, hospital.toUpperCase(), 34, { anchor: 'middle', weight: 'bold' }));
  const fr = style === 'fr-ruled';
  const en = style === 'en-remarks';
  s.push(text(90, 240, fr ? 'N° :' : en ? 'No:' : 'លេខកូដ:', 26, { family: fr || en ? LAT : KM }));
  s.push(text(fr || en ? 160 : 210, 240, num, 26));
  s.push(text(620, 240, fr ? 'Âge :' : en ? 'Age:' : 'អាយុ:', 26, { family: fr || en ? LAT : KM }));
  s.push(text(720, 240, `${age}`, 26));
  s.push(text(850, 240, fr ? 'Sexe :' : en ? 'Sex:' : 'ភេទ:', 26, { family: fr || en ? LAT : KM }));
  s.push(
    text(960, 240, fr ? (female ? 'F' : 'M') : en ? (female ? 'Female' : 'Male') : female ? 'ស្រី' : 'ប្រុស', 26, {
      family: fr || en ? LAT : KM,
    }),
  );
  s.push(text(90, 310, fr ? 'Diagnostic :' : en ? 'Diagnosis:' : 'រោគវិនិច្ឆ័យ:', 26, { family: fr || en ? LAT : KM }));
  s.push(text(fr ? 270 : en ? 250 : 290, 310, diag, 26));
  s.push(
    text(W / 2, 400, fr ? 'ORDONNANCE' : en ? 'PRESCRIPTION' : 'វេជ្ជបញ្ជា', 36, {
      family: fr || en ? LAT : KM,
      anchor: 'middle',
      weight: 'bold',
    }),
  );
  s.push(
    text(760, 1500, fr ? `Phnom Penh, le ${date}` : en ? `Date: ${date}` : `ថ្ងៃទី ${date}`, 26, {
      family: fr || en ? LAT : KM,
    }),
  );
  return {
    svg: s.join('\n'),
    truth: {
      hospital_name: hospital,
      prescription_number: num,
      prescription_date: iso,
      patient: { age, gender: female ? 'female' : 'male' },
      diagnosis: [diag],
    },
  };
}

export function pickDrugs(r: () => number, n: number): Drug[] {
  const pool = [...DRUGS];
  const out: Drug[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(r() * pool.length), 1)[0] as Drug);
  return out;
}

export function schedule(r: () => number): Record<Slot, number> {
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
  const p = patterns[Math.floor(r() * patterns.length)] ?? [1, 0, 1, 0];
  return { morning: p[0], noon: p[1], evening: p[2], night: p[3] };
}

function table(r: () => number, style: Style): { svg: string; meds: Array<Record<string, unknown>> } {
  const drugs = pickDrugs(r, 3 + Math.floor(r() * 3));
  const km = style === 'km-ruled';
  const fr = style === 'fr-ruled';
  const heads = km
    ? ['ព្រឹក', 'ថ្ងៃត្រង់', 'ល្ងាច', 'យប់']
    : fr
      ? ['Matin', 'Midi', 'Soir', 'Nuit']
      : ['Morning', 'Noon', 'Evening', 'Night'];
  // columns: no, name, qty, 4 slots, [remarks]
  const cols =
    style === 'en-remarks' ? [60, 110, 470, 590, 720, 830, 950, 1050, 1190] : [70, 130, 560, 760, 870, 980, 1090, 1180];
  const names =
    style === 'en-remarks'
      ? ['No', 'Medicine', 'Qty', ...heads, 'Remarks']
      : [km ? 'ល.រ' : 'N°', km ? 'ឈ្មោះឱសថ' : 'Médicament', km ? 'ចំនួន' : 'Quantité', ...heads];
  const order =
    style === 'en-remarks'
      ? ['no', 'name', 'qty', 'morning', 'noon', 'evening', 'night', 'remarks']
      : ['no', 'name', 'qty', 'morning', 'noon', 'evening', 'night'];
  const top = 470;
  const headH = km ? 95 : 60;
  const rowH = 70;
  const s: string[] = [];
  const bottom = top + headH + rowH * drugs.length;
  const right = cols[cols.length - 1] ?? 1180;
  for (let i = 0; i < cols.length; i++)
    s.push(`<line x1="${cols[i]}" y1="${top}" x2="${cols[i]}" y2="${bottom}" stroke="#222" stroke-width="2"/>`);
  for (const y of [top, top + headH, ...drugs.map((_, i) => top + headH + rowH * (i + 1))]) {
    s.push(`<line x1="${cols[0]}" y1="${y}" x2="${right}" y2="${y}" stroke="#222" stroke-width="2"/>`);
  }
  const hours = ['(6-8)', '(11-12)', '(17-18)', '(20-22)'];
  names.forEach((n, i) => {
    const x0 = cols[i] ?? 0;
    const x1 = cols[i + 1] ?? right;
    const isKm = /[\u1780-\u17ff]/.test(n);
    s.push(
      text((x0 + x1) / 2, top + 40, n, 24, {
        family: isKm ? KM : LAT,
        anchor: 'middle',
        weight: isKm ? 'normal' : 'bold',
      }),
    );
    if (km && i >= 3 && i <= 6) s.push(text((x0 + x1) / 2, top + 80, hours[i - 3] ?? '', 20, { anchor: 'middle' }));
  });
  const meds: Array<Record<string, unknown>> = [];
  drugs.forEach((d, k) => {
    const y = top + headH + rowH * k + 45;
    const sch = schedule(r);
    const daily = SLOTS.reduce((a, sl) => a + sch[sl], 0);
    const days = [3, 5, 7, 10, 14][Math.floor(r() * 5)] ?? 7;
    const qty = daily * days;
    const cell = (role: string): [number, number] => {
      const i = order.indexOf(role);
      return [cols[i] ?? 0, cols[i + 1] ?? right];
    };
    const [nx0] = cell('no');
    s.push(text(nx0 + 20, y, `${k + 1}`, 24));
    const [mx0] = cell('name');
    s.push(text(mx0 + 12, y, d.strength ? `${d.name} ${d.strength}` : d.name, 24));
    const [qx0, qx1] = cell('qty');
    const unitTxt = km ? d.unitKm : fr ? 'cp' : d.unitEn;
    s.push(text((qx0 + qx1) / 2, y, `${qty} ${unitTxt}`, 24, { family: km ? KM : LAT, anchor: 'middle' }));
    for (const sl of SLOTS) {
      const [a, b] = cell(sl);
      s.push(text((a + b) / 2, y, sch[sl] === 0 ? '-' : String(sch[sl]), 24, { anchor: 'middle' }));
    }
    let after: boolean | undefined;
    if (style === 'en-remarks') {
      after = r() < 0.6;
      const [a, b] = cell('remarks');
      s.push(text((a + b) / 2, y, after ? 'after meal' : 'before meal', 20, { anchor: 'middle' }));
    }
    meds.push({
      sequence: k + 1,
      name: d.name,
      strength: d.strength,
      quantity: qty,
      ...(km ? { quantity_unit: d.unitKm === 'គ្រាប់' ? 'tablet' : d.unit } : {}),
      dosage_schedule: sch,
      duration_days: days,
      ...(after !== undefined ? { take_after_meal: after, take_before_meal: !after } : {}),
    });
  });
  return { svg: s.join('\n'), meds };
}

function tickForm(r: () => number): { svg: string; meds: Array<Record<string, unknown>> } {
  const drugs = pickDrugs(r, 8);
  const s: string[] = [];
  const heads = ['ព្រឹក', 'ថ្ងៃត្រង់', 'ល្ងាច', 'យប់'];
  const xs = [700, 820, 940, 1060];
  heads.forEach((h, i) => s.push(text((xs[i] ?? 0) + 20, 490, h, 24, { family: KM, anchor: 'middle' })));
  const meds: Array<Record<string, unknown>> = [];
  drugs.forEach((d, k) => {
    const y = 540 + k * 90;
    s.push(text(110, y + 30, d.strength ? `${d.name} ${d.strength}` : d.name, 26));
    const ticked = r() < 0.45 || (k === drugs.length - 1 && meds.length === 0);
    const sch = ticked ? schedule(r) : { morning: 0, noon: 0, evening: 0, night: 0 };
    xs.forEach((x, i) => {
      s.push(`<rect x="${x}" y="${y}" width="40" height="40" fill="none" stroke="#222" stroke-width="3"/>`);
      if (sch[SLOTS[i] as Slot] > 0) {
        const j = () => (r() - 0.5) * 6;
        s.push(
          `<path d="M ${x + 6 + j()} ${y + 20 + j()} L ${x + 17 + j()} ${y + 35 + j()} L ${x + 44 + j()} ${y - 8 + j()}" stroke="#1a237e" stroke-width="5" fill="none" stroke-linecap="round"/>`,
        );
      }
    });
    if (ticked) {
      for (const sl of SLOTS) if (sch[sl] > 1) sch[sl] = 1;
      meds.push({ sequence: meds.length + 1, name: d.name, strength: d.strength, dosage_schedule: sch });
    }
  });
  return { svg: s.join('\n'), meds };
}

/** Photograph-looking degradation: tilt, blur, uneven light, JPEG. */
async function degrade(svg: string, r: () => number, outWidth: number): Promise<Buffer> {
  const page = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
  const angle = (r() - 0.5) * 5;
  const shadow = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="${(r() * 0.8).toFixed(2)}">
    <stop offset="0" stop-color="#fff"/><stop offset="${(0.4 + r() * 0.4).toFixed(2)}" stop-color="#ddd"/><stop offset="1" stop-color="#888"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  const shaded = await sharp(page)
    .composite([{ input: Buffer.from(shadow), blend: 'multiply' }])
    .tint({ r: 250, g: 245, b: 235 })
    .png()
    .toBuffer();
  return sharp(shaded)
    .rotate(angle, { background: '#c8c4bc' })
    .blur(0.6 + r() * 0.5)
    .resize({ width: outWidth })
    .jpeg({ quality: 62 + Math.floor(r() * 12) })
    .toBuffer();
}

export async function generate(style: Style, seed: number): Promise<{ jpeg: Buffer; truth: Truth }> {
  const r = rng(seed);
  const h = style === 'tick-form' ? { svg: '', truth: null } : header(r, style);
  const body = style === 'tick-form' ? tickForm(r) : table(r, style);
  const title =
    style === 'tick-form' ? text(W / 2, 140, 'MEDICATION ORDER FORM', 34, { anchor: 'middle', weight: 'bold' }) : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>${h.svg}${title}${body.svg}</svg>`;
  const jpeg = await degrade(svg, r, 1000 + Math.floor(r() * 300));
  const name = `synth-${style}-${seed}`;
  const truth = {
    image: `${name}.jpg`,
    note: `Synthetic (${style}, seed ${seed}): rendered, tilted, blurred, shadowed, JPEG. Generated by test/reading/synth/generate.ts.`,
    ...(h.truth ?? {}),
    medications: body.meds,
  } as Truth;
  return { jpeg, truth };
}

export const STYLES: Style[] = ['km-ruled', 'en-remarks', 'fr-ruled', 'tick-form'];

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const args = process.argv.slice(2);
  const outDir = args.find((a) => !a.startsWith('--')) ?? path.join(here, '..', 'fixtures');
  const ci = args.indexOf('--count');
  const count = ci >= 0 ? Number(args[ci + 1]) : 1;
  fs.mkdirSync(outDir, { recursive: true });
  for (const style of STYLES) {
    for (let i = 0; i < count; i++) {
      const seed = 101 + i;
      const { jpeg, truth } = await generate(style, seed);
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
