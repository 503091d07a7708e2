/**
 * The reader: stages in order, each under a hard time limit, with a pool of warm OCR workers.
 *   validate → decode → preprocess → ocr (page) → layout → parse (+ Latin second pass on cells)
 */
import os from 'node:os';
import { ReadingError } from './errors.ts';
import { cropCell } from './crop.ts';
import { decodeGray, preprocess } from './preprocess.ts';
import { nativeTesseractVersion } from './native-ocr.ts';
import { OcrPool, recognize, defaultPoolSize, type Box, type OcrPage, type OcrSlot } from './ocr.ts';
import { detectRulings, type Rulings } from './rulings.ts';
import { rotate180, type GrayImage } from './image-ops.ts';
import { findHeader } from './table-header.ts';
import { findRows, type TableLayout } from './table-rows.ts';
import type { CellKind } from './medications.ts';
import { extractHeaderFields } from './header-fields.ts';
import { detectTickBoxes, type TickBox } from './tickbox.ts';
import { readLayouts } from './layouts/registry.ts';
import { countListLines } from './layouts/list.ts';
import type { PageAnalysis } from './layouts/types.ts';
import { prepareLanguageData, normaliseLanguages } from './tessdata.ts';
import { DEFAULT_TIMEOUTS_MS, withTimeout } from './timeouts.ts';
import { validateImage } from './validate.ts';
import { Lexicon, EMPTY_LEXICON } from './lexicon/match.ts';
import { DEFAULT_LEXICON_PATH, loadLexiconFile } from './lexicon/load.ts';
import Tesseract from 'tesseract.js';
import type { PrescriptionReader, ReadOptions, ReaderLogger, ReaderOptions, ReadResult, Stage } from './types.ts';

interface Analysis {
  page: OcrPage;
  rulings: Rulings;
  layout: TableLayout | null;
  textHeight: number;
  boxes: TickBox[];
}

/** Mean word confidence under which a page without a table is also tried upside down. */
const UPSIDE_DOWN_CONFIDENCE = 75;

const stderrLogger: ReaderLogger = { warn: (m) => process.stderr.write(`dastern reading: ${m}\n`) };

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function createReader(options: ReaderOptions = {}): Promise<PrescriptionReader> {
  const logger = options.logger ?? stderrLogger;
  const requested = normaliseLanguages(options.languages ?? ['khm', 'eng']);
  if (!requested.includes('eng')) requested.push('eng'); // Latin drug names need it
  const data = prepareLanguageData(requested, options.tessdataDir);
  const warnings: string[] = [];
  for (const m of data.missing) {
    const msg =
      m === 'khm'
        ? 'Khmer OCR data (khm.traineddata) not found: install it with scripts/install-system-deps.sh ' +
          '(Debian package tesseract-ocr-khm) or set DASTERN_TESSDATA_DIR; reading with English-only anchors'
        : `OCR data for "${m}" not found; reading without it`;
    warnings.push(msg);
    logger.warn(msg);
  }
  if (data.languages.length === 0) throw new ReadingError('ocr_unavailable', 'no OCR language data found');
  let lexicon = EMPTY_LEXICON;
  try {
    lexicon = new Lexicon(loadLexiconFile(options.lexiconPath ?? DEFAULT_LEXICON_PATH));
  } catch (err) {
    const msg = `drug lexicon not loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); names are kept as printed`;
    warnings.push(msg);
    logger.warn(msg);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...(options.timeoutsMs ?? {}) };
  const engine = options.engine ?? 'auto';
  const nativeVersion = engine === 'wasm' ? null : nativeTesseractVersion();
  if (engine === 'native' && nativeVersion === null) {
    const msg = 'native tesseract not found (Debian package tesseract-ocr): reading with tesseract.js';
    warnings.push(msg);
    logger.warn(msg);
  }
  const pool = new OcrPool({
    langPath: data.langPath,
    languages: data.languages,
    size: options.workers ?? defaultPoolSize(),
    nativePages: nativeVersion !== null,
    nativeTimeoutMs: timeouts.ocr,
  });
  let closed = false;

  async function read(bytes: Buffer | Uint8Array, opts: ReadOptions = {}): Promise<ReadResult> {
    if (closed) throw new ReadingError('closed', 'the reader is closed');
    const started = performance.now();
    const stages: Partial<Record<Stage, number>> = {};
    const passes = { page: 0, cell: 0 };
    const signal = opts.signal;
    const timed = async <T>(stage: Stage, work: () => Promise<T>, onTimeout?: () => void): Promise<T> => {
      if (signal?.aborted) throw new ReadingError('aborted', 'the read was aborted');
      const t0 = performance.now();
      try {
        return await withTimeout(stage, timeouts[stage], work(), onTimeout, signal);
      } finally {
        stages[stage] = (stages[stage] ?? 0) + Math.round(performance.now() - t0);
      }
    };
    const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    await timed('validate', () => validateImage(input));
    const decoded = await timed('decode', () => decodeGray(input, timeouts.decode / 1000));
    const pre = await timed('preprocess', () => preprocess(decoded));
    let image = pre.image;

    let slot: OcrSlot | null = null;
    try {
      slot = await timed('ocr', () => pool.acquire());
      const s = slot;
      const kill = (): void => {
        void pool.kill(s);
      };
      const analyse = async (img: GrayImage): Promise<Analysis> => {
        passes.page++;
        // The rulings need no OCR: found while the native process reads the page (once the
        // image is through its pipe), on the other core.
        let inputSent = (): void => undefined;
        const sent = new Promise<void>((resolve) => {
          inputSent = resolve;
        });
        const reading = timed(
          'ocr',
          () =>
            recognize(s, img, {
              pass: 'page',
              onInputSent: inputSent,
              thresholding: pre.blurred ? 'adaptive' : 'otsu',
            }),
          kill,
        );
        await Promise.race([
          sent,
          reading.then(
            () => undefined,
            () => undefined,
          ),
        ]);
        const tr = performance.now();
        const rulings = detectRulings(img);
        stages.layout = (stages.layout ?? 0) + Math.round(performance.now() - tr);
        const page = await reading;
        const t0 = performance.now();
        const header = findHeader(page.words, rulings, img.width);
        const layout: TableLayout | null = header ? findRows(header, page.words, rulings, img.height) : null;
        const textHeight =
          median(page.words.filter((w) => /[A-Za-z0-9]/.test(w.text)).map((w) => w.bbox.y1 - w.bbox.y0)) || 32;
        const boxes: TickBox[] = detectTickBoxes(img, Math.round(textHeight * 0.7), Math.round(textHeight * 2.5));
        stages.layout = (stages.layout ?? 0) + Math.round(performance.now() - t0);
        return { page, rulings, layout, textHeight, boxes };
      };
      let a = await analyse(image);
      // Upside down (or turned 270° and then a quarter the wrong way): no table, no tick boxes
      // no medication line, and a poor reading. Read it once more turned 180° and keep the better reading.
      if (
        a.layout === null &&
        a.boxes.length < 3 &&
        a.page.confidence < UPSIDE_DOWN_CONFIDENCE &&
        countListLines(a.page) === 0
      ) {
        const turned = rotate180(image);
        const b = await analyse(turned);
        if (b.layout !== null || b.page.confidence > a.page.confidence + 15) {
          image = turned;
          a = b;
        }
      }
      const { page, rulings, layout, textHeight, boxes } = a;

      const ocrCell = async (box: Box, kind: CellKind): Promise<OcrPage | null> => {
        if (opts.skipNameRepass === true && kind === 'name') return null;
        const crop = cropCell(image, box, Math.max(5, Math.round(textHeight * 0.15)), kind !== 'name');
        if (crop === null) return null;
        const psm = kind === 'name' ? Tesseract.PSM.SINGLE_BLOCK : Tesseract.PSM.SINGLE_LINE;
        passes.cell++;
        // Names are Latin; quantities and remarks carry Khmer units and words.
        return recognize(s, crop, {
          pass: kind === 'name' || kind === 'quantity-latin' || kind === 'dose' ? 'latin' : 'page',
          psm,
        });
      };

      const parsed = await timed(
        'parse',
        async () => {
          const analysis: PageAnalysis = { page, image, rulings, table: layout, textHeight, boxes, lexicon, ocrCell };
          const found = await readLayouts(analysis);
          const fields = extractHeaderFields(page.lines, image.height, layout?.bbox.y0 ?? null);
          return { medications: found.medications, kind: found.layout, fields };
        },
        kill,
      );
      const text = page.text.trim();
      let empty_reason: string | undefined;
      if (parsed.medications.length === 0) {
        if (text.replace(/\s+/g, '').length < 20) empty_reason = 'no text found in the image';
        else if (layout === null)
          empty_reason = 'no medication table, list or tick-box form found: this does not look like a prescription';
        else empty_reason = 'a table was found but no medication row could be read';
      }
      const result: ReadResult = {
        ...parsed.fields,
        medications: parsed.medications,
        ...(empty_reason !== undefined ? { empty_reason } : {}),
        layout: parsed.kind,
        ocr: {
          engine: pool.engine,
          languages: data.languages,
          confidence: Math.round(page.confidence) / 100,
          processing_ms: Math.round(performance.now() - started),
          stages_ms: stages,
          passes,
          warnings: [...warnings, ...(Math.abs(pre.skewDeg) > 0 ? [] : [])],
        },
        raw_text: text,
      };
      return result;
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
