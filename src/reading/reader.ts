/**
 * The reader: stages in order, each under a hard time limit, with a pool of warm OCR workers.
 *   validate → decode → preprocess → ocr (page) → layout → parse (+ Latin second pass on cells)
 */
import os from 'node:os';
import { ReadingError } from './errors.ts';
import { decodeGray, preprocess } from './preprocess.ts';
import { nativeTesseractVersion } from './native-ocr.ts';
import { OcrPool, defaultPoolSize, type OcrSlot } from './ocr.ts';
import { extractHeaderFields } from './header-fields.ts';
import { readLayouts } from './layouts/registry.ts';
import type { PageAnalysis } from './layouts/types.ts';
import { analyseUpright, cellReader, emptyReason, type AnalyseDeps, type Timed } from './page-analysis.ts';
import { prepareLanguageData, normaliseLanguages } from './tessdata.ts';
import { DEFAULT_TIMEOUTS_MS, withTimeout } from './timeouts.ts';
import { validateImage } from './validate.ts';
import { Lexicon, EMPTY_LEXICON } from './lexicon/match.ts';
import { DEFAULT_LEXICON_PATH, loadLexiconFile } from './lexicon/load.ts';
import type { PrescriptionReader, ReadOptions, ReaderLogger, ReaderOptions, ReadResult, Stage } from './types.ts';

const stderrLogger: ReaderLogger = { warn: (m) => process.stderr.write(`dastern reading: ${m}\n`) };

interface Resources {
  languages: string[];
  lexicon: Lexicon;
  pool: OcrPool;
  timeouts: Record<Stage, number>;
  /** Set-up warnings, repeated in every reading. */
  warnings: string[];
}

/** OCR language data, the drug lexicon and the worker pool; what is missing becomes a warning. */
function loadResources(options: ReaderOptions, logger: ReaderLogger): Resources {
  const warnings: string[] = [];
  const warn = (msg: string): void => {
    warnings.push(msg);
    logger.warn(msg);
  };
  const requested = normaliseLanguages(options.languages ?? ['khm', 'eng']);
  if (!requested.includes('eng')) requested.push('eng'); // Latin drug names need it
  const data = prepareLanguageData(requested, options.tessdataDir);
  for (const m of data.missing) {
    warn(
      m === 'khm'
        ? 'Khmer OCR data (khm.traineddata) not found: install it with scripts/install-system-deps.sh ' +
            '(Debian package tesseract-ocr-khm) or set DASTERN_TESSDATA_DIR; reading with English-only anchors'
        : `OCR data for "${m}" not found; reading without it`,
    );
  }
  if (data.languages.length === 0) throw new ReadingError('ocr_unavailable', 'no OCR language data found');
  let lexicon = EMPTY_LEXICON;
  try {
    lexicon = new Lexicon(loadLexiconFile(options.lexiconPath ?? DEFAULT_LEXICON_PATH));
  } catch (err) {
    warn(
      `drug lexicon not loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); names are kept as printed`,
    );
  }
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...(options.timeoutsMs ?? {}) };
  const engine = options.engine ?? 'auto';
  const nativeVersion = engine === 'wasm' ? null : nativeTesseractVersion();
  if (engine === 'native' && nativeVersion === null)
    warn('native tesseract not found (Debian package tesseract-ocr): reading with tesseract.js');
  const pool = new OcrPool({
    langPath: data.langPath,
    languages: data.languages,
    size: options.workers ?? defaultPoolSize(),
    nativePages: nativeVersion !== null,
    nativeTimeoutMs: timeouts.ocr,
  });
  return { languages: data.languages, lexicon, pool, timeouts, warnings };
}

/** Stage timing: each stage's work under its time limit, durations summed per stage. */
function stageTimer(
  timeouts: Record<Stage, number>,
  stages: Partial<Record<Stage, number>>,
  signal: AbortSignal | undefined,
): Timed {
  return async (stage, work, onTimeout) => {
    if (signal?.aborted) throw new ReadingError('aborted', 'the read was aborted');
    const t0 = performance.now();
    try {
      return await withTimeout(stage, timeouts[stage], work(), onTimeout, signal);
    } finally {
      stages[stage] = (stages[stage] ?? 0) + Math.round(performance.now() - t0);
    }
  };
}

export async function createReader(options: ReaderOptions = {}): Promise<PrescriptionReader> {
  const { languages, lexicon, pool, timeouts, warnings } = loadResources(options, options.logger ?? stderrLogger);
  let closed = false;

  async function read(bytes: Buffer | Uint8Array, opts: ReadOptions = {}): Promise<ReadResult> {
    if (closed) throw new ReadingError('closed', 'the reader is closed');
    const started = performance.now();
    const stages: Partial<Record<Stage, number>> = {};
    const passes = { page: 0, cell: 0 };
    const timed = stageTimer(timeouts, stages, opts.signal);
    const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    await timed('validate', () => validateImage(input));
    const decoded = await timed('decode', () => decodeGray(input, timeouts.decode / 1000));
    const pre = await timed('preprocess', () => preprocess(decoded));

    let slot: OcrSlot | null = null;
    try {
      slot = await timed('ocr', () => pool.acquire());
      const s = slot;
      const deps: AnalyseDeps = {
        slot: s,
        timed,
        addLayoutMs: (ms) => {
          stages.layout = (stages.layout ?? 0) + Math.round(ms);
        },
        kill: () => {
          void pool.kill(s);
        },
        blurred: pre.blurred,
        passes,
      };
      const { image, analysis } = await analyseUpright(pre.image, deps);
      const { page, rulings, layout, textHeight, boxes } = analysis;
      const ocrCell = cellReader(image, textHeight, deps, opts.skipNameRepass === true);
      const parsed = await timed(
        'parse',
        async () => {
          const pa: PageAnalysis = { page, image, rulings, table: layout, textHeight, boxes, lexicon, ocrCell };
          const found = await readLayouts(pa);
          const fields = extractHeaderFields(page.lines, image.height, layout?.bbox.y0 ?? null);
          return { medications: found.medications, kind: found.layout, fields };
        },
        deps.kill,
      );
      const text = page.text.trim();
      const empty_reason = emptyReason(parsed.medications.length, text, layout);
      return {
        ...parsed.fields,
        medications: parsed.medications,
        ...(empty_reason !== undefined ? { empty_reason } : {}),
        layout: parsed.kind,
        ocr: {
          engine: pool.engine,
          languages,
          confidence: Math.round(page.confidence) / 100,
          processing_ms: Math.round(performance.now() - started),
          stages_ms: stages,
          passes,
          warnings: [...warnings],
        },
        raw_text: text,
      };
    } finally {
      if (slot !== null) pool.release(slot);
    }
  }

  return {
    read,
    async close(): Promise<void> {
      closed = true;
      await pool.close();
    },
  };
}

export function coresAvailable(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
