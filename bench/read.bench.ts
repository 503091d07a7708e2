/**
 * Reader benchmark (`npm run bench:read`): for each real and synthetic fixture, field accuracy,
 * time per stage and total (median of RUNS warm reads), the cold first read (workers started
 * on demand), and the process's peak RSS. Prints figures; never asserts.
 * Then the synthetic variations (test/reading/synth/variants.ts), generated on the fly: per
 * category, field accuracy and invented medications (one cold-ish read each, not repeated).
 *   BENCH_RUNS=5  BENCH_WORKERS=1  BENCH_VARIANTS=2 (seeds per category; 0: none)
 *   BENCH_ONLY=cat1,cat2 (variation categories)  BENCH_FIXTURES=0 (skip the fixtures)
 *   BENCH_VERBOSE=1 (print the wrong fields of the variations)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReader, STAGES, type Stage } from '../src/reading/index.ts';
import { DEFAULT_LEXICON_PATH } from '../src/reading/lexicon/load.ts';
import { scoreReading } from '../test/reading/score.ts';
import { CATEGORIES, generateVariant } from '../test/reading/synth/variants.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const tty = process.stderr.isTTY === true;

interface Item {
  file: string;
  truth: Record<string, unknown>;
}

function collect(dir: string, re: RegExp): Item[] {
  if (!fs.existsSync(dir)) {
    console.warn(`skipped: ${dir} is absent (the real photos are kept out of the repository)`);
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => ({ file: path.join(dir, f), truth: JSON.parse(fs.readFileSync(path.join(dir, f.replace(/\.(png|jpg)$/, '.json')), 'utf8')) as Record<string, unknown> }));
}

const items = process.env['BENCH_FIXTURES'] === '0' ? [] : [
  ...collect(path.resolve(root, '../shared/fixtures/prescriptions'), /\.png$/),
  ...collect(path.join(root, 'test/reading/fixtures'), /^synth-.*\.jpg$/),
];
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

const lexiconPath = fs.existsSync(DEFAULT_LEXICON_PATH) ? DEFAULT_LEXICON_PATH : path.join(root, 'test/reading/fixtures/lexicon-small.json');
const t0 = performance.now();
const reader = await createReader({ lexiconPath, workers: Number(process.env['BENCH_WORKERS'] ?? 1) });
const createMs = performance.now() - t0;

const rows: string[][] = [];
let fieldsOk = 0;
let fieldsAll = 0;
for (const [k, it] of items.entries()) {
  const bytes = fs.readFileSync(it.file);
  const totals: number[] = [];
  const stages: Record<Stage, number[]> = Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, number[]>;
  let score = null;
  let cold = 0;
  for (let r = 0; r < RUNS + 1; r++) {
    if (tty) process.stderr.write(`\r${path.basename(it.file)} run ${r + 1}/${RUNS + 1}   `);
    const start = performance.now();
    const res = await reader.read(bytes);
    const ms = performance.now() - start;
    if (r === 0) {
      cold = ms;
      score = scoreReading(it.truth, res);
      continue; // the first read of the first file starts the OCR worker
    }
    totals.push(ms);
    for (const s of STAGES) stages[s].push(res.ocr.stages_ms[s] ?? 0);
  }
  if (score === null) continue;
  const ok = score.medFields.filter((f) => f.ok).length;
  fieldsOk += ok;
  fieldsAll += score.medFields.length + score.extraMedications * 7;
  rows.push([
    path.basename(it.file),
    `${(score.medAccuracy * 100).toFixed(0)}%`,
    `${(score.nameAccuracy * 100).toFixed(0)}%`,
    `${(score.headerAccuracy * 100).toFixed(0)}%`,
    String(score.extraMedications),
    ...STAGES.map((s) => String(median(stages[s]))),
    String(Math.round(median(totals))),
    k === 0 ? `${Math.round(cold + createMs)}*` : String(Math.round(cold)),
  ]);
}
if (tty) process.stderr.write('\r\x1b[K');

// Synthetic variations, generated on the fly (nothing written to disk).
const perCat = Math.max(0, Number(process.env['BENCH_VARIANTS'] ?? 2));
const only = (process.env['BENCH_ONLY'] ?? '').split(',').filter((x) => x !== '');
const verbose = process.env['BENCH_VERBOSE'] === '1';
const catRows: string[][] = [];
let vOk = 0;
let vAll = 0;
let vExtra = 0;
const vTimes: number[] = [];
for (const category of Object.keys(CATEGORIES)) {
  if (perCat === 0 || (only.length > 0 && !only.includes(category))) continue;
  let ok = 0;
  let all = 0;
  let extra = 0;
  let names = 0;
  let namesAll = 0;
  const times: number[] = [];
  for (let i = 0; i < perCat; i++) {
    const { jpeg, truth } = await generateVariant(category, 301 + i);
    if (tty) process.stderr.write(`\r${truth.image}   `);
    const start = performance.now();
    const res = await reader.read(jpeg);
    times.push(performance.now() - start);
    const sc = scoreReading(truth as unknown as Record<string, unknown>, res);
    const good = sc.medFields.filter((f) => f.ok).length;
    ok += good;
    all += sc.medFields.length + sc.extraMedications * 7;
    extra += sc.extraMedications;
    const nf = sc.medFields.filter((f) => f.field.endsWith('.name'));
    names += nf.filter((f) => f.ok).length;
    namesAll += nf.length + sc.extraMedications;
    if (verbose) {
      const wrong = sc.medFields.filter((f) => !f.ok).map((f) => `${f.field}=${JSON.stringify(f.actual)} (want ${JSON.stringify(f.expected)})`);
      if (wrong.length > 0 || sc.extraMedications > 0) {
        if (tty) process.stderr.write('\r\x1b[K');
        console.log(`  ${truth.image}: ${wrong.length} wrong, ${sc.extraMedications} extra; layout ${res.layout}${res.empty_reason ? ` (${res.empty_reason})` : ''}`);
        for (const w of wrong.slice(0, 12)) console.log(`    ${w}`);
        if (sc.extraMedications > 0) console.log(`    read: ${res.medications.map((m) => m.name).join(' | ')}`);
      }
    }
  }
  vOk += ok;
  vAll += all;
  vExtra += extra;
  vTimes.push(...times);
  catRows.push([category, `${((ok / Math.max(1, all)) * 100).toFixed(0)}%`, `${names}/${namesAll}`, String(extra), String(Math.round(median(times)))]);
}
if (tty) process.stderr.write('\r\x1b[K');
await reader.close();

const head = ['image', 'fields', 'names', 'header', 'extra', ...STAGES.map((s) => `${s}ms`), 'median', 'first'];
const all = [head, ...rows];
const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
console.log(`reader benchmark: ${RUNS} warm runs per image (median), lexicon ${path.relative(root, lexiconPath)}`);
for (const r of all) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
console.log(`* first read of the run: includes starting the OCR worker (cold); reader created in ${Math.round(createMs)} ms`);
console.log(`medication fields right: ${fieldsOk}/${fieldsAll} (${((fieldsOk / Math.max(1, fieldsAll)) * 100).toFixed(1)} %)`);
if (catRows.length > 0) {
  const vh = ['variation', 'fields', 'names', 'extra', 'ms'];
  const va = [vh, ...catRows];
  const vw = vh.map((_, i) => Math.max(...va.map((r) => (r[i] ?? '').length)));
  console.log(`synthetic variations: ${perCat} per category (seeds 301…), one read each`);
  for (const r of va) console.log(r.map((c, i) => (i === 0 ? c.padEnd(vw[i] ?? 0) : c.padStart(vw[i] ?? 0))).join('  '));
  console.log(`variation fields right: ${vOk}/${vAll} (${((vOk / Math.max(1, vAll)) * 100).toFixed(1)} %), invented medications: ${vExtra}, median ${Math.round(median(vTimes))} ms`);
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
