/**
 * Stage "ocr": full pages through the native tesseract when installed (native-ocr.ts), else
 * tesseract.js 7 (WASM, LSTM); cells always through tesseract.js, with word boxes.
 * A pool of warm slots, grown lazily up to the configured size (default: the cores) and reused
 * across reads. Each slot has a page worker (khm+eng by default) and a Latin worker (eng) for
 * the second pass over name cells, where the Khmer model garbles short Latin tokens.
 * A job that overruns its time limit kills its slot; the next read gets a fresh one.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import Tesseract from 'tesseract.js';
import { ReadingError } from './errors.ts';
import type { GrayImage } from './image-ops.ts';
import { toPgm } from './image-ops.ts';
import { recognizeNative } from './native-ocr.ts';

const require = createRequire(import.meta.url);

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrWord {
  text: string;
  /** 0..100 */
  conf: number;
  bbox: Box;
  /** Index of the OCR line the word belongs to (page-wide). */
  line: number;
}

export interface OcrLine {
  text: string;
  conf: number;
  bbox: Box;
  words: OcrWord[];
}

export interface OcrPage {
  words: OcrWord[];
  lines: OcrLine[];
  text: string;
  confidence: number;
}

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Slot {
  cfg: PoolConfig;
  /** tesseract.js workers, started on first use (a page read natively may never need them). */
  page: Promise<Tesseract.Worker> | null;
  latin: Promise<Tesseract.Worker | null> | null;
  dead: boolean;
}

export interface PoolConfig {
  langPath: string;
  languages: string[];
  size: number;
  /** Full pages through the native tesseract binary (native-ocr.ts); cells always through tesseract.js. */
  nativePages?: boolean;
  /** Time limit of a native page read, milliseconds. */
  nativeTimeoutMs?: number;
}

const PAGE_PARAMS: Partial<Tesseract.WorkerParams> = {
  tessedit_pageseg_mode: Tesseract.PSM.AUTO,
  // The photos declare 72 dpi; without this, PSM 3 at 2000 px drops whole tables.
  user_defined_dpi: '300',
  preserve_interword_spaces: '1',
  // Tesseract's own diagnostics ("Detected 54 diacritics") must not reach the CLI's stderr.
  debug_file: '/dev/null',
};

function workerOptions(langPath: string): Partial<Tesseract.WorkerOptions> {
  const pkgDir = path.dirname(require.resolve('tesseract.js/package.json'));
  return {
    langPath,
    gzip: false,
    cacheMethod: 'none',
    cachePath: path.join(os.tmpdir(), 'dastern-tesseract-cache'),
    // Local files only: the worker script and the WASM core from node_modules.
    workerPath: path.join(pkgDir, 'src', 'worker-script', 'node', 'index.js'),
    errorHandler: () => undefined,
  };
}

export class OcrPool {
  private readonly cfg: PoolConfig;
  private readonly idle: Slot[] = [];
  private readonly waiters: Array<(s: Slot) => void> = [];
  private live = 0;
  private closed = false;
  private readonly all = new Set<Slot>();

  constructor(cfg: PoolConfig) {
    this.cfg = cfg;
  }

  get engine(): string {
    return this.cfg.nativePages === true
      ? 'tesseract (native) pages + tesseract.js 7 cells (LSTM)'
      : 'tesseract.js 7 (LSTM)';
  }

  private async createSlot(): Promise<Slot> {
    const slot: Slot = { cfg: this.cfg, page: null, latin: null, dead: false };
    // Without the native binary every page goes through the page worker: start it now.
    if (this.cfg.nativePages !== true) await pageWorker(slot);
    // With it, the Latin worker for the name cells starts loading in its thread while the first
    // page is read by the native process (~1 s of a cold read hidden on a second core). A
    // failure shows when a cell needs the worker.
    else latinWorker(slot).catch(() => undefined);
    this.all.add(slot);
    return slot;
  }

  /** Creates the first slot now so that the first read does not pay for it. */
  async warm(count = 1): Promise<void> {
    const made: Slot[] = [];
    while (this.live < Math.min(count, this.cfg.size)) {
      this.live++;
      try {
        made.push(await this.createSlot());
      } catch (err) {
        this.live--;
        throw err;
      }
    }
    for (const s of made) this.release(s);
  }

  async acquire(): Promise<Slot> {
    if (this.closed) throw new ReadingError('closed', 'the reader is closed');
    const s = this.idle.pop();
    if (s !== undefined) return s;
    if (this.live < this.cfg.size) {
      this.live++;
      try {
        return await this.createSlot();
      } catch (err) {
        this.live--;
        throw new ReadingError('ocr_unavailable', `the OCR engine could not start: ${String(err)}`, { cause: err });
      }
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(slot: Slot): void {
    if (slot.dead || this.closed) {
      void this.kill(slot);
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) w(slot);
    else this.idle.push(slot);
  }

  /** Terminates a slot (after a timeout); a replacement is created on demand. */
  async kill(slot: Slot): Promise<void> {
    if (!this.all.has(slot)) return;
    this.all.delete(slot);
    slot.dead = true;
    this.live--;
    await terminate(slot);
    // Someone may be waiting for a slot that will now never be released.
    if (!this.closed && this.waiters.length > 0) {
      this.live++;
      this.createSlot().then(
        (s) => this.release(s),
        () => {
          this.live--;
        },
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.allSettled(slots.map(terminate));
    this.live = 0;
  }
}

async function terminate(slot: Slot): Promise<void> {
  await Promise.allSettled([slot.page?.then((w) => w.terminate()), slot.latin?.then((w) => w?.terminate())]);
}

async function startWorker(cfg: PoolConfig, langs: string[]): Promise<Tesseract.Worker> {
  const w = await Tesseract.createWorker(langs, Tesseract.OEM.LSTM_ONLY, workerOptions(cfg.langPath));
  await w.setParameters(PAGE_PARAMS);
  return w;
}

function pageWorker(slot: Slot): Promise<Tesseract.Worker> {
  const langs = slot.cfg.languages.length > 0 ? slot.cfg.languages : ['eng'];
  slot.page ??= startWorker(slot.cfg, langs);
  return slot.page;
}

/** The English-only worker for Latin cells, or null when the page worker is English only. */
function latinWorker(slot: Slot): Promise<Tesseract.Worker | null> {
  const langs = slot.cfg.languages.length > 0 ? slot.cfg.languages : ['eng'];
  const needLatin = (langs.length > 1 || langs[0] !== 'eng') && langs.includes('eng');
  slot.latin ??= needLatin ? startWorker(slot.cfg, ['eng']) : Promise.resolve(null);
  return slot.latin;
}

function box(b: Tesseract.Bbox): Box {
  return { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 };
}

/** Flattens tesseract's block tree into words and lines. */
export function flattenPage(page: Tesseract.Page, offset: { x: number; y: number } = { x: 0, y: 0 }): OcrPage {
  const words: OcrWord[] = [];
  const lines: OcrLine[] = [];
  const shift = (b: Box): Box => ({
    x0: b.x0 + offset.x,
    y0: b.y0 + offset.y,
    x1: b.x1 + offset.x,
    y1: b.y1 + offset.y,
  });
  for (const block of page.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const idx = lines.length;
        const lw: OcrWord[] = [];
        for (const w of line.words) {
          const text = w.text.trim();
          if (text === '') continue;
          const word: OcrWord = { text, conf: w.confidence, bbox: shift(box(w.bbox)), line: idx };
          lw.push(word);
          words.push(word);
        }
        lines.push({ text: line.text.trim(), conf: line.confidence, bbox: shift(box(line.bbox)), words: lw });
      }
    }
  }
  return { words, lines, text: page.text, confidence: page.confidence };
}

export type Pass = 'page' | 'latin';

/**
 * Tesseract's binarisation: 'otsu' (one global threshold, its default) or 'adaptive' (Otsu
 * per tile). A blurred page needs the adaptive one: with one global threshold the thickened
 * strokes of a whole column merge and the page segmentation drops it as a picture.
 */
export type Thresholding = 'otsu' | 'adaptive';
const THRESHOLDING_METHOD: Record<Thresholding, string> = { otsu: '0', adaptive: '1' };

/** Recognises the whole page (PSM 3) or a rectangle with the given PSM. */
export async function recognize(
  slot: Slot,
  image: GrayImage | Buffer,
  opts: { pass: Pass; psm?: Tesseract.PSM; rectangle?: Rect; onInputSent?: () => void; thresholding?: Thresholding },
): Promise<OcrPage> {
  const psm = opts.psm ?? Tesseract.PSM.AUTO;
  const thresholding = opts.thresholding ?? 'otsu';
  if (
    opts.pass === 'page' &&
    psm === Tesseract.PSM.AUTO &&
    slot.cfg.nativePages === true &&
    !Buffer.isBuffer(image) &&
    opts.rectangle === undefined
  ) {
    try {
      return await recognizeNative(image, {
        langPath: slot.cfg.langPath,
        languages: slot.cfg.languages,
        timeoutMs: slot.cfg.nativeTimeoutMs ?? 45_000,
        ...(opts.onInputSent !== undefined ? { onInputSent: opts.onInputSent } : {}),
        thresholdingMethod: THRESHOLDING_METHOD[thresholding],
      });
    } catch {
      // The other engine is the fallback: tesseract.js reads this page.
    }
  }
  const worker = (opts.pass === 'latin' ? await latinWorker(slot) : null) ?? (await pageWorker(slot));
  const buf = Buffer.isBuffer(image) ? image : toPgm(image);
  // A stage over its limit kills the slot while this read may still go on in the background:
  // a terminated tesseract.js worker must not be sent another job (it throws outside any
  // promise the caller holds, which would end the process).
  assertAlive(slot);
  await worker.setParameters({
    tessedit_pageseg_mode: psm,
    thresholding_method: THRESHOLDING_METHOD[thresholding],
  } as Partial<Tesseract.WorkerParams>);
  assertAlive(slot);
  const res = await worker.recognize(buf, opts.rectangle ? { rectangle: opts.rectangle } : {}, {
    text: true,
    blocks: true,
  });
  return flattenPage(res.data);
}

export type OcrSlot = Slot;

function assertAlive(slot: Slot): void {
  if (slot.dead) throw new ReadingError('timeout', 'the OCR worker was stopped after a time limit');
}

export function defaultPoolSize(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}
