/**
 * One dose cell of the schedule grid → a number of units.
 * A dash, '=', '~', '0' or an empty cell is 0; '1' misread as 'l', 'I', '[1', '1គ្រាប់' is 1;
 * '½', '1/2' are 0.5; '|' is a cell border, never a 1. Unreadable → null (the caller then looks
 * at the ink itself).
 */
import { normaliseText } from './text.ts';
import { matchUnit, type UnitMatch } from './vocab.ts';

export interface DoseReading {
  value: number | null;
  /** 0..1 */
  confidence: number;
  unit: UnitMatch | null;
}

const FRACTIONS: Record<string, number> = { '½': 0.5, '¼': 0.25, '¾': 0.75, '⅓': 1 / 3, '⅔': 2 / 3 };
const ZERO_ONLY = /^[-–—_=~.·•:,'"`^°*oO0\s]*$/;

export function parseDoseCell(raw: string): DoseReading {
  let t = normaliseText(raw);
  let unit: UnitMatch | null = null;
  // Separate units glued to digits ("1គ្រាប់", "1amp", "1tab") and drop them.
  const parts = t
    .replace(/([0-9½¼¾lI|\]])(?=[\u1780-\u17ffA-Za-z]{2,})/g, '$1 ')
    .split(' ')
    .filter((p) => p !== '');
  const kept: string[] = [];
  for (const p of parts) {
    const u = /[\u1780-\u17ff]/.test(p) || /^[A-Za-z]{2,}\.?$/.test(p) ? matchUnit(p) : null;
    if (u !== null) {
      unit ??= u;
      continue;
    }
    kept.push(p);
  }
  t = kept.join(' ');
  // Borders read as glyphs at the cell edges.
  t = t.replace(/^[|!]+|[|!]+$/g, '').trim();
  if (t === '' || ZERO_ONLY.test(t)) {
    // A lone '|' was a border; a lone unit word with no number is unusual: lower confidence.
    return { value: 0, confidence: unit !== null ? 0.5 : t === '' && raw.trim() !== '' ? 0.75 : 0.9, unit };
  }
  const compact = t.replace(/\s+/g, '');
  // Mixed numbers: "1½", "1 1/2".
  let m = /^(\d)\s*([½¼¾])$/.exec(compact);
  if (m !== null) return { value: Number(m[1]) + (FRACTIONS[m[2] ?? ''] ?? 0), confidence: 0.85, unit };
  m = /^(\d)(\d)\/(\d)$/.exec(compact);
  if (m !== null && /\s/.test(t)) return { value: Number(m[1]) + Number(m[2]) / Number(m[3]), confidence: 0.75, unit };
  const frac = FRACTIONS[compact];
  if (frac !== undefined) return { value: frac, confidence: 0.9, unit };
  m = /^[([{]?([1-4lI])\/([2-4])[)\]}]?$/.exec(compact);
  if (m !== null) {
    const num = m[1] === 'l' || m[1] === 'I' ? 1 : Number(m[1]);
    return { value: num / Number(m[2]), confidence: 0.85, unit };
  }
  m = /^(\d+)[.,](\d+)$/.exec(compact);
  if (m !== null) {
    const v = Number(`${m[1]}.${m[2]}`);
    if (v > 0 && v <= 10) return { value: v, confidence: 0.8, unit };
  }
  // '1' and its usual misreadings, with stray brackets around it.
  const core = compact.replace(/^[([{|'"`.,:]+|[)\]}|'"`.,:]+$/g, '');
  if (/^[1lIi!]$/.test(core) || core === '1.' || core === 'l.') {
    return { value: 1, confidence: core === '1' ? 0.95 : 0.8, unit };
  }
  if (/^[2-9]$/.test(core)) return { value: Number(core), confidence: 0.9, unit };
  if (/^(10|1[1-2])$/.test(core)) return { value: Number(core), confidence: 0.6, unit };
  if (/^[zZ]$/.test(core)) return { value: 2, confidence: 0.5, unit };
  return { value: null, confidence: 0, unit };
}
