/**
 * Reader benchmark (`npm run bench:read`). Prints figures; never asserts.
 *  1. The real fixtures (../shared/fixtures/prescriptions, when present): fields right.
 *  2. The generated benchmark (test/reading/synth/layouts.ts), made at run time from a seed:
 *     field accuracy per field, per layout and per degradation; names on tick-box forms;
 *     the warm time per photo (one reader, workers already started).
 *  3. Cold: `dastern read <photo> --json` as a fresh process (start, OCR data load, read, exit),
 *     wall time and the child's peak RSS.
 *   BENCH_SEED=2 (held out; tune on 1)  BENCH_COUNT=200  BENCH_COLD=3  BENCH_ONLY=layout1,layout2
 *   BENCH_VERBOSE=1 (print the wrong fields)  BENCH_FIXTURES=0 (skip the real fixtures)
 *   BENCH_ENGINES=4 (photos read by both OCR engines for the native/tesseract.js ratio; 0: skip)
 *   BENCH_PROGRESS=9 (a line of running totals every 9 photos; 0: none)
 *  Times are wall and CPU (this process, its threads and the tesseract children): on a loaded
 *  machine the CPU figure is the one that carries over.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReader } from '../src/reading/index.ts';
import { DEFAULT_LEXICON_PATH } from '../src/reading/lexicon/load.ts';
import { scoreReading, type FieldResult } from '../test/reading/score.ts';
import { compareEngines, cpuMs, lexiconFigures, median, stageSummary } from './support/read-speed.ts';
import type { ReadResult } from '../src/reading/types.ts';
import { generateSample, LAYOUTS, type Sample } from '../test/reading/synth/layouts.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED = Number(process.env['BENCH_SEED'] ?? 2);
const COUNT = Math.max(0, Number(process.env['BENCH_COUNT'] ?? 200));
const COLD = Math.max(0, Number(process.env['BENCH_COLD'] ?? 3));
const only = (process.env['BENCH_ONLY'] ?? '').split(',').filter((x) => x !== '');
const verbose = process.env['BENCH_VERBOSE'] === '1';
const ENGINES = Math.max(0, Number(process.env['BENCH_ENGINES'] ?? 4));
/** Every this many photos, one line of running totals (a run cut short still says something). */
const PROGRESS = Math.max(0, Number(process.env['BENCH_PROGRESS'] ?? LAYOUTS.length));
const tty = process.stderr.isTTY === true;

const pct = (ok: number, all: number): string => `${((ok / Math.max(1, all)) * 100).toFixed(1)}%`;
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? 0;
};
function table(rows: string[][]): void {
  const w = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows)
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join('  '));
}

class Tally {
  readonly by = new Map<string, { ok: number; all: number }>();
  add(key: string, ok: boolean, n = 1): void {
    const t = this.by.get(key) ?? { ok: 0, all: 0 };
    t.ok += ok ? n : 0;
    t.all += n;
    this.by.set(key, t);
  }
  rows(): string[][] {
    return [...this.by.entries()].map(([k, t]) => [k, pct(t.ok, t.all), `${t.ok}/${t.all}`]);
  }
}

const reader = await createReader({
  lexiconPath: DEFAULT_LEXICON_PATH,
  workers: 1,
  logger: { warn: (m) => console.log(`reader warning: ${m}`) },
});
console.log(`reader benchmark, OCR engine: see below; lexicon ${path.relative(root, DEFAULT_LEXICON_PATH)}`);
for (const line of lexiconFigures()) console.log(line);

// 1. Real fixtures.
const realDir =
  [
    path.resolve(root, '../shared/fixtures/prescriptions'),
    path.resolve(root, '../../shared/fixtures/prescriptions'),
  ].find((d) => fs.existsSync(d)) ?? '';
if (process.env['BENCH_FIXTURES'] !== '0' && realDir !== '') {
  for (const f of fs.readdirSync(realDir).filter((x) => x.endsWith('.png'))) {
    const truth = JSON.parse(fs.readFileSync(path.join(realDir, f.replace(/\.png$/, '.json')), 'utf8')) as Record<
      string,
      unknown
    >;
    const t0 = performance.now();
    const res = await reader.read(fs.readFileSync(path.join(realDir, f)));
    const ms = performance.now() - t0;
    const sc = scoreReading(truth, res);
    const all = [...sc.headerFields, ...sc.medFields];
    console.log(
      `real fixture ${f}: ${all.filter((x) => x.ok).length}/${all.length} fields, ${sc.extraMedications} extra, ${Math.round(ms)} ms (engine ${res.ocr.engine})`,
    );
  }
} else console.log('real fixtures: skipped (../shared/fixtures/prescriptions absent or BENCH_FIXTURES=0)');

/** The reading a failed read counts as: no medication. */
function failedReading(): ReadResult {
  const ocr = { engine: 'none', languages: [], confidence: 0, processing_ms: 0, stages_ms: {}, warnings: [] };
  return { medications: [], layout: 'none', ocr, raw_text: '' } as unknown as ReadResult;
}

/** Running totals so far: all fields, then per layout and per degradation. */
function progress(done: number): void {
  const tot = [...perField.by.values()].reduce((a, t) => ({ ok: a.ok + t.ok, all: a.all + t.all }), { ok: 0, all: 0 });
  const part = (t: Tally): string => [...t.by.entries()].map(([k, v]) => `${k} ${pct(v.ok, v.all)}`).join(', ');
  console.log(`progress ${done} photos: ${tot.ok}/${tot.all} (${pct(tot.ok, tot.all)}); layouts: ${part(perLayout)}`);
  console.log(`  degradations: ${part(perDeg)}; warm median ${Math.round(quantile(times, 0.5))} ms`);
}

// 2. Generated set.
const perField = new Tally();
const perLayout = new Tally();
const perDeg = new Tally();
const tickNames = new Tally();
const times: number[] = [];
const cpus: number[] = [];
const readings: ReadResult[] = [];
const enginePhotos: Buffer[] = [];
let sample: Sample | null = null;
let extra = 0;
let n = 0;
for (let i = 0; i < COUNT; i++) {
  const layout = LAYOUTS[i % LAYOUTS.length] ?? '';
  if (only.length > 0 && !only.includes(layout)) continue;
  const s = await generateSample(SEED, i);
  sample ??= s;
  if (tty) process.stderr.write(`\r${i + 1}/${COUNT} ${s.truth.image}   `);
  const c0 = cpuMs();
  const t0 = performance.now();
  let res: ReadResult;
  try {
    res = await reader.read(s.jpeg);
  } catch (err) {
    // A photo the reader fails on (e.g. a stage over its time limit on a loaded machine) counts
    // as nothing read, and the run goes on.
    console.log(`  ${s.truth.image}: read failed (${err instanceof Error ? err.message : String(err)})`);
    res = failedReading();
  }
  if (i > 0 || n > 0) {
    // The very first read starts the workers.
    times.push(performance.now() - t0);
    cpus.push(cpuMs() - c0);
  }
  readings.push(res);
  if (enginePhotos.length < ENGINES) enginePhotos.push(s.jpeg);
  n++;
  const sc = scoreReading(s.truth as unknown as Record<string, unknown>, res);
  const fields: FieldResult[] = sc.medFields;
  for (const f of fields) {
    const key = f.field.slice(f.field.lastIndexOf('.') + 1);
    perField.add(key, f.ok);
    perLayout.add(s.layout, f.ok);
    perDeg.add(s.degradation, f.ok);
    if (s.layout === 'tick-form' && key === 'name') tickNames.add('names', f.ok);
  }
  // An invented medication costs 7 wrong fields (as in score.ts).
  if (sc.extraMedications > 0) {
    extra += sc.extraMedications;
    perField.add('(invented)', false, sc.extraMedications * 7);
    perLayout.add(s.layout, false, sc.extraMedications * 7);
    perDeg.add(s.degradation, false, sc.extraMedications * 7);
    if (s.layout === 'tick-form') tickNames.add('names', false, sc.extraMedications);
  }
  if (PROGRESS > 0 && n % PROGRESS === 0) progress(n);
  if (verbose) {
    const wrong = fields.filter((f) => !f.ok);
    if (wrong.length > 0 || sc.extraMedications > 0) {
      if (tty) process.stderr.write('\r\x1b[K');
      console.log(`  ${s.truth.image}: ${wrong.length} wrong, ${sc.extraMedications} extra (layout ${res.layout})`);
      for (const w of wrong.slice(0, 14))
        console.log(`    ${w.field}=${JSON.stringify(w.actual)} (want ${JSON.stringify(w.expected)})`);
      if (sc.extraMedications > 0 || wrong.some((w) => w.field.endsWith('.name')))
        console.log(`    read: ${res.medications.map((m) => `${m.name} ${m.strength ?? ''}`).join(' | ')}`);
    }
  }
}
if (tty) process.stderr.write('\r\x1b[K');
await reader.close();

if (n > 0) {
  const tot = [...perField.by.values()].reduce((a, t) => ({ ok: a.ok + t.ok, all: a.all + t.all }), { ok: 0, all: 0 });
  console.log(`\ngenerated benchmark: seed ${SEED}, ${n} photos, ${LAYOUTS.length} layouts`);
  console.log(
    `medication fields right: ${tot.ok}/${tot.all} (${pct(tot.ok, tot.all)}), invented medications: ${extra}`,
  );
  console.log('\nper field:');
  table([['field', 'right', 'n'], ...perField.rows()]);
  console.log('\nper layout:');
  table([['layout', 'right', 'n'], ...perLayout.rows()]);
  console.log('\nper degradation:');
  table([['degradation', 'right', 'n'], ...perDeg.rows()]);
  const tn = tickNames.by.get('names');
  if (tn !== undefined) console.log(`\ntick-box forms: names ${pct(tn.ok, tn.all)} (${tn.ok}/${tn.all})`);
  if (times.length > 0) {
    console.log(
      `\nwarm time per photo: median ${Math.round(quantile(times, 0.5))} ms, p90 ${Math.round(quantile(times, 0.9))} ms, max ${Math.round(Math.max(...times))} ms (wall)`,
    );
    console.log(
      `warm CPU per photo: median ${Math.round(median(cpus))} ms, p90 ${Math.round(quantile(cpus, 0.9))} ms (${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(1) ?? '?'})`,
    );
  }
  console.log(stageSummary(readings));
}
console.log(
  `bench process peak RSS (one reader, one worker): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
if (ENGINES > 0 && enginePhotos.length > 0) {
  console.log(`\nOCR engines on the same ${enginePhotos.length} photos (warm, one worker):`);
  for (const line of await compareEngines(enginePhotos)) console.log(line);
}

// 3. Cold reads through the CLI, one fresh process each.
if (COLD > 0 && sample !== null) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-bench-'));
  const file = path.join(dir, sample.truth.image);
  fs.writeFileSync(file, sample.jpeg);
  const colds: number[] = [];
  const rss: number[] = [];
  const coldCpu: number[] = [];
  for (let k = 0; k < COLD; k++) {
    const t0 = performance.now();
    const out = spawnSync(
      '/usr/bin/time',
      ['-f', '%M %U %S', process.execPath, path.join(root, 'bin/dastern.js'), 'read', file, '--json'],
      { encoding: 'utf8' },
    );
    colds.push(performance.now() - t0);
    const [kb, user, sys] = (out.stderr.trim().split('\n').pop() ?? '').trim().split(' ').map(Number);
    if (kb !== undefined && Number.isFinite(kb)) rss.push(kb / 1024);
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) coldCpu.push((user + sys) * 1000);
    if (out.status !== 0) console.log(`cold read failed (${out.status}): ${out.stderr.slice(0, 300)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    `cold \`dastern read --json\` (fresh process) on ${sample.truth.image}: median ${Math.round(quantile(colds, 0.5))} ms, max ${Math.round(Math.max(...colds))} ms wall, median ${Math.round(median(coldCpu))} ms CPU; peak RSS ${rss.length > 0 ? Math.round(Math.max(...rss)) : '?'} MB`,
  );
}
