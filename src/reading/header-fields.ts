/**
 * Header fields of a prescription from the OCR lines outside the medication table: hospital,
 * number, patient name/age/gender, diagnoses, department, date, doctor. Labels are matched
 * fuzzily (Khmer OCR drops vowel signs); the value runs to the next label on the line.
 */
import type { OcrLine, OcrWord } from './ocr.ts';
import type { HeaderFields } from './types.ts';
import { foldLatin, fuzzyContains, hasKhmer, latinLetters, normaliseText, similarity } from './text.ts';

type Field = 'number' | 'patient' | 'age' | 'gender' | 'diagnosis' | 'department' | 'date' | 'doctor' | 'other';

const LABELS: Array<[Field, string[]]> = [
  [
    'number',
    ['លេខកូដ', 'លេខកូដអ្នកជំងឺ', 'លេខវេជ្ជបញ្ជា', 'លេខ', 'code', 'no', 'n°', 'number', 'id', 'rx', 'ref', 'numero', 'numéro'],
  ],
  ['patient', ['ឈ្មោះអ្នកជំងឺ', 'ឈ្មោះ', 'name', 'patient', 'nom', 'patient name']],
  ['age', ['អាយុ', 'age', 'âge']],
  ['gender', ['ភេទ', 'sex', 'sexe', 'gender']],
  ['diagnosis', ['រោគវិនិច្ឆ័យ', 'diagnosis', 'diagnostic', 'dx']],
  ['department', ['ផ្នែក', 'department', 'dept', 'service', 'ward']],
  ['date', ['កាលបរិច្ឆេទ', 'ថ្ងៃទី', 'date', 'le']],
  ['doctor', ['វេជ្ជបណ្ឌិត', 'វេជ្ជ', 'គ្រូពេទ្យ', 'dr', 'doctor', 'docteur', 'prescriber', 'médecin', 'medecin']],
  ['other', ['អាសយដ្ឋាន', 'ប្រភេទបង់ប្រាក់', 'ទូរស័ព្ទ', 'address', 'adresse', 'phone', 'tel', 'weight', 'poids', 'ទម្ងន់']],
];

/** Khmer and full-width colon signs → ':' (labels are written "អាយុៈ", "ភេទ៖", "Nom："). */
const colons = (s: string): string => s.replace(/\u17d6|\u17c8|\uff1a/g, ':');

function labelOf(raw0: string): Field | null {
  const raw = colons(raw0);
  const hadColon = /[:]$/.test(raw.trim());
  const t = normaliseText(raw)
    .replace(/[:.]+$/g, '')
    .replace(/^[^\p{L}]+/u, '');
  if (t === '') return null;
  let best: { f: Field; s: number } | null = null;
  for (const [f, words] of LABELS) {
    for (const w of words) {
      let s: number;
      if (hasKhmer(w)) {
        if (!hasKhmer(t)) continue;
        const n = [...w].length;
        s = similarity(t, w);
        const need = n <= 3 ? 0.99 : n <= 5 ? 0.7 : n < 10 ? 0.6 : 0.55;
        if (s < need) continue;
      } else {
        if (hasKhmer(t)) continue;
        s = foldLatin(t) === w ? 1 : 0;
        // Short Latin labels only count with their colon ("No:", "Dr.").
        if (s < 1 || (w.length <= 3 && !hadColon && w !== 'dr')) continue;
      }
      if (best === null || s > best.s) best = { f, s };
    }
  }
  return best?.f ?? null;
}

interface Segment {
  field: Field;
  words: OcrWord[];
  line: OcrLine;
}

function segments(lines: OcrLine[]): Segment[] {
  const out: Segment[] = [];
  for (const line of lines) {
    let cur: Segment | null = null;
    for (const w of line.words) {
      const text = colons(w.text).replace(/^[^\p{L}\p{N}]+/u, '');
      // "លេខកូដ:HAKF1354164": a label with its value glued after the colon.
      const split = /^([^:]*\p{L}[^:]*)[:]+(.*)$/u.exec(text);
      const f = labelOf(split ? `${split[1] ?? ''}:` : text);
      if (f !== null) {
        cur = { field: f, words: [], line };
        out.push(cur);
        const rest = split?.[2]?.trim() ?? '';
        if (rest !== '') cur.words.push({ ...w, text: rest });
        continue;
      }
      if (cur === null || /^[:]+$/.test(colons(w.text))) continue;
      // A wide gap ends the value (a QR code or another block on the same OCR line).
      const prev = cur.words[cur.words.length - 1];
      const h = Math.max(10, w.bbox.y1 - w.bbox.y0);
      if (prev !== undefined && w.bbox.x0 - prev.bbox.x1 > h * 4) {
        cur = null;
        continue;
      }
      cur.words.push(w);
    }
  }
  return out;
}

const join = (ws: OcrWord[]): string =>
  normaliseText(colons(ws.map((w) => w.text).join(' ')))
    .replace(/^[:\s]+/, '')
    .trim();

function titleCase(s: string): string {
  if (s !== s.toUpperCase()) return s;
  return s.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
}

const HOSPITAL_WORDS =
  /\b(hospital|h[oô]pital|clinic|clinique|polyclinic|polyclinique|medical|centre|center|health|sant[ée]|pharmacy|pharmacie)\b/i;

function findHospital(lines: OcrLine[], pageHeight: number): string | null {
  const top = lines.filter((l) => l.bbox.y1 < pageHeight * 0.3);
  for (const l of top) {
    const words = l.words.filter((w) => !hasKhmer(w.text) && w.conf > 40);
    const t = normaliseText(words.map((w) => w.text).join(' '));
    if (HOSPITAL_WORDS.test(t) && latinLetters(t) >= 6) {
      const m = /([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’.&-]*(?:\s+[A-Za-zÀ-ÿ'’.&-]+)*)/.exec(t);
      if (m?.[1] !== undefined) return titleCase(m[1].trim());
    }
  }
  for (const l of top) {
    const t = normaliseText(l.text);
    for (const kw of ['មន្ទីរពេទ្យ', 'មន្ទីរពហុព្យាបាល', 'គ្លីនិក', 'មណ្ឌលសុខភាព']) {
      if (fuzzyContains(t, kw) >= 0.8) return t.replace(/\s+/g, ' ');
    }
  }
  return null;
}

function isoDate(d: number, m: number, y: number): string | null {
  if (y < 100) y += 2000;
  if (d < 1 || d > 31 || m < 1 || m > 12 || y < 1990 || y > 2100) return null;
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCDate() !== d) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function findDate(text: string): string | null {
  const t = normaliseText(text).replace(/[Oo](?=\d)|(?<=\d)[Oo]/g, '0');
  const re = /(?<!\d)(\d{1,2})\s*[/.-]\s*0?(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})(?!\d)/g;
  for (const m of t.matchAll(re)) {
    const iso = isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
    if (iso !== null) return iso;
  }
  const ymd = /(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/.exec(t);
  if (ymd !== null) return isoDate(Number(ymd[3]), Number(ymd[2]), Number(ymd[1]));
  return null;
}

function parseGender(s: string): 'female' | 'male' | null {
  const t = normaliseText(s);
  if (hasKhmer(t)) {
    if (fuzzyContains(t, 'ស្រី') >= 0.75) return 'female';
    if (fuzzyContains(t, 'ប្រុស') >= 0.75) return 'male';
    return null;
  }
  const f = foldLatin(t);
  if (/^(f|female|femme|feminin|w|woman)\b/.test(f)) return 'female';
  if (/^(m|male|homme|masculin|man|h)\b/.test(f)) return 'male';
  return null;
}

/** The prescription number: a labelled one above the table, else a code-like token there. */
function findNumber(
  segs: Segment[],
  lines: OcrLine[],
  before: (s: Segment) => boolean,
  tableTop: number | null,
): string | null {
  let number: string | null = null;
  for (const s of segs.filter((x) => x.field === 'number' && before(x))) {
    const tok = s.words
      .map((w) => normaliseText(w.text).replace(/[^A-Za-z0-9-]/g, ''))
      .find((x) => /^[A-Z]{1,6}\d{4,}$/i.test(x) || /^\d{5,}$/.test(x));
    if (tok !== undefined && (number === null || (/^\d+$/.test(number) && /[A-Z]/i.test(tok))))
      number = tok.toUpperCase();
  }
  if (number !== null) return number;
  const all = lines.filter((l) => tableTop === null || l.bbox.y1 <= tableTop).flatMap((l) => l.words);
  return all.map((w) => w.text.replace(/[^A-Za-z0-9]/g, '')).find((x) => /^[A-Z]{1,5}\d{6,}$/.test(x)) ?? null;
}

/** The date: a labelled one, else the first date on any line. */
function findDateIn(segs: Segment[], lines: OcrLine[]): string | null {
  for (const s of segs.filter((x) => x.field === 'date')) {
    const date = findDate(join(s.words));
    if (date !== null) return date;
  }
  for (const l of lines) {
    const date = findDate(l.text);
    if (date !== null) return date;
  }
  return null;
}

/** Extracts the header fields from the lines outside the table. */
export function extractHeaderFields(lines: OcrLine[], pageHeight: number, tableTop: number | null): HeaderFields {
  const segs = segments(lines);
  const before = (s: Segment): boolean => tableTop === null || s.line.bbox.y1 <= tableTop + 5;
  const first = (f: Field, pred: (s: Segment) => boolean = () => true): Segment | undefined =>
    segs.find((s) => s.field === f && s.words.length > 0 && pred(s));

  const number = findNumber(segs, lines, before, tableTop);

  const patientSeg = first('patient', before);
  // The name stops at a word that looks like a garbled label (has a colon) or a gender word.
  const nameWords: OcrWord[] = [];
  for (const w of patientSeg?.words ?? []) {
    const t = normaliseText(colons(w.text));
    if (/[:]/.test(t) || similarity(t, 'ស្រី') >= 0.75 || similarity(t, 'ប្រុស') >= 0.75) break;
    nameWords.push(w);
  }
  const patientName = join(nameWords).replace(/[|]/g, '').trim();
  const ageSeg = first('age');
  const ageM = ageSeg ? /(\d{1,3})/.exec(normaliseText(join(ageSeg.words))) : null;
  const age = ageM ? Number(ageM[1]) : null;
  const genderSeg = first('gender');
  let gender = genderSeg ? parseGender(join(genderSeg.words)) : null;
  if (gender === null) {
    // The label was not read: a lone ស្រី / ប្រុស word near the patient's name or age.
    const near = lines.filter(
      (l) => (tableTop === null || l.bbox.y1 <= tableTop) && (l === patientSeg?.line || l === ageSeg?.line),
    );
    for (const w of near.flatMap((l) => l.words)) {
      const t = normaliseText(colons(w.text)).replace(/[:]/g, '');
      if (similarity(t, 'ស្រី') >= 0.75) gender = 'female';
      else if (similarity(t, 'ប្រុស') >= 0.75) gender = 'male';
      if (gender !== null) break;
    }
  }

  const diagnosis: string[] = [];
  for (const s of segs.filter((x) => x.field === 'diagnosis' && before(x))) {
    const v = join(s.words);
    if (v !== '') diagnosis.push(...v.split(/\s*;\s*/).filter((d) => d !== ''));
  }
  const deptSeg = first('department', before);

  const date = findDateIn(segs, lines);

  const docSeg = segs.filter((s) => s.field === 'doctor' && s.words.length > 0).pop();
  const doctor = docSeg ? join(docSeg.words).replace(/^[.:\s]+/, '') : '';

  return {
    hospital_name: findHospital(lines, pageHeight),
    prescription_number: number,
    prescription_date: date,
    patient: {
      name: patientName !== '' && patientName.length <= 60 ? patientName : null,
      age: age !== null && age <= 120 ? age : null,
      gender,
    },
    diagnosis,
    department: deptSeg ? join(deptSeg.words) || null : null,
    prescribing_doctor_name: doctor !== '' ? doctor : null,
  };
}
