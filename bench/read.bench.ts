/**
 * Reader benchmark (`npm run bench:read`): for each real and synthetic fixture, field accuracy,
 * time per stage and total (median of RUNS warm reads), the cold first read (workers started
 * on demand), and the process's peak RSS. Prints figures; never asserts.
 *   BENCH_RUNS=5  BENCH_WORKERS=1
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReader, STAGES, type Stage } from '../src/reading/index.ts';
import { DEFAULT_LEXICON_PATH } from '../src/reading/lexicon/load.ts';
import { scoreReading } from '../test/reading/score.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const tty = process.stderr.isTTY === true;

interface Item {
  file: string;
  truth: Record<string, unknown>;
}

function collect(dir: string, re: RegExp): Item[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => ({ file: path.join(dir, f), truth: JSON.parse(fs.readFileSync(path.join(dir, f.replace(/\.(png|jpg)$/, '.json')), 'utf8')) as Record<string, unknown> }));
}

const items = [
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
await reader.close();

const head = ['image', 'fields', 'names', 'header', 'extra', ...STAGES.map((s) => `${s}ms`), 'median', 'first'];
const all = [head, ...rows];
const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
console.log(`reader benchmark: ${RUNS} warm runs per image (median), lexicon ${path.relative(root, lexiconPath)}`);
for (const r of all) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
console.log(`* first read of the run: includes starting the OCR worker (cold); reader created in ${Math.round(createMs)} ms`);
console.log(`medication fields right: ${fieldsOk}/${fieldsAll} (${((fieldsOk / Math.max(1, fieldsAll)) * 100).toFixed(1)} %)`);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
