/**
 * Speed figures for bench/read.bench.ts that do not depend on how loaded the machine is:
 * CPU time per photo (this process, its worker threads and the native tesseract children),
 * the OCR engines compared on the same photos, and the drug lexicon's matcher.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createReader } from '../../src/reading/index.ts';
import { DEFAULT_LEXICON_PATH, loadLexiconFile } from '../../src/reading/lexicon/load.ts';
import { Lexicon } from '../../src/reading/lexicon/match.ts';
import type { ReadResult } from '../../src/reading/types.ts';

const TICK_MS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const hz = Number(r.stdout.trim());
  return Number.isFinite(hz) && hz > 0 ? 1000 / hz : 10;
})();

/** CPU milliseconds used so far by this process (all threads) and its waited-for children. */
export function cpuMs(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // /proc/self/stat: fields 16 and 17 (cutime, cstime) in clock ticks; the name (2) may hold spaces.
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    children = 0;
  }
  return (own.user + own.system) / 1000 + children;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor(s.length / 2)] ?? 0);
};

/** Per-stage wall medians and the mean number of OCR calls, from the readings of a run. */
export function stageSummary(results: ReadResult[]): string {
  const stages = new Map<string, number[]>();
  let pages = 0;
  let cells = 0;
  for (const r of results) {
    for (const [k, v] of Object.entries(r.ocr.stages_ms)) stages.set(k, [...(stages.get(k) ?? []), v]);
    pages += r.ocr.passes?.page ?? 0;
    cells += r.ocr.passes?.cell ?? 0;
  }
  const n = Math.max(1, results.length);
  const parts = [...stages.entries()].map(([k, v]) => `${k} ${Math.round(median(v))}`);
  return `stage medians (ms, wall): ${parts.join(', ')}; OCR calls per photo: ${(pages / n).toFixed(1)} page, ${(cells / n).toFixed(1)} cell`;
}

/** The same photos read warm by the native-tesseract reader and by the tesseract.js-only one. */
export async function compareEngines(photos: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  const figures: Record<string, { wall: number; cpu: number }> = {};
  for (const engine of ['native', 'wasm'] as const) {
    const reader = await createReader({
      lexiconPath: DEFAULT_LEXICON_PATH,
      workers: 1,
      engine,
      logger: { warn: () => undefined },
    });
    try {
      const first = photos[0];
      if (first === undefined) return out;
      const warmup = await reader.read(first); // starts the workers
      const walls: number[] = [];
      const cpus: number[] = [];
      for (const p of photos) {
        const c0 = cpuMs();
        const t0 = performance.now();
        await reader.read(p);
        walls.push(performance.now() - t0);
        cpus.push(cpuMs() - c0);
      }
      figures[engine] = { wall: median(walls), cpu: median(cpus) };
      out.push(
        `  ${engine.padEnd(6)} (${warmup.ocr.engine}): median ${Math.round(median(walls))} ms wall, ${Math.round(median(cpus))} ms CPU per photo`,
      );
    } finally {
      await reader.close();
    }
  }
  const n = figures['native'];
  const w = figures['wasm'];
  if (n !== undefined && w !== undefined && n.wall > 0 && n.cpu > 0) {
    out.push(
      `  tesseract.js / native: ${(w.wall / n.wall).toFixed(2)}× wall, ${(w.cpu / n.cpu).toFixed(2)}× CPU (the reader uses native pages when installed, tesseract.js otherwise)`,
    );
  }
  return out;
}

/** Load and index time of the lexicon, and match time per misread name with the index and without. */
export function lexiconFigures(): string[] {
  const t0 = performance.now();
  const file = loadLexiconFile();
  const t1 = performance.now();
  const lex = new Lexicon(file);
  const t2 = performance.now();
  const swaps: Array<[RegExp, string]> = [
    [/m/, 'rn'],
    [/l/, '1'],
    [/o/, '0'],
    [/d/, 'cl'],
    [/s/, '5'],
    [/e/, 'c'],
  ];
  const names = file.drugs.flatMap((d, k) =>
    [d.generic_name, ...(d.brands ?? [])].map((n) => n.replace(...(swaps[k % swaps.length] ?? [/x/, 'x']))),
  );
  const time = (fullScan: boolean, sample: string[]): { ms: number; found: number } => {
    const s = performance.now();
    const found = sample.filter((n) => lex.match(n, null, { fullScan }) !== null).length;
    return { ms: (performance.now() - s) / sample.length, found };
  };
  const indexed = time(false, names);
  const full = time(
    true,
    names.filter((_, i) => i % 10 === 0),
  );
  return [
    `lexicon ${file.version}: ${file.drugs.length} molecules, ${(file.products ?? []).length} brand products, ${lex.productCount > 0 ? 'products indexed' : 'no products'}; load ${Math.round(t1 - t0)} ms, index ${Math.round(t2 - t1)} ms`,
    `  match of a misread name: ${indexed.ms.toFixed(2)} ms with the trigram index (${names.length} names, ${((indexed.found / names.length) * 100).toFixed(1)} % matched), ${full.ms.toFixed(2)} ms comparing with every entry (${(full.ms / Math.max(1e-6, indexed.ms)).toFixed(1)}×)`,
  ];
}
