/**
 * The steps of one read after preprocessing, each a named function the reader (reader.ts)
 * calls in turn: the page OCR with the layout analysis beside it, the upside-down retry, the
 * cell OCR the layouts call back, and the empty-reading reason.
 */
import Tesseract from 'tesseract.js';
import { cropCell } from './crop.ts';
import { rotate180, type GrayImage } from './image-ops.ts';
import { countListLines } from './layouts/list.ts';
import type { CellKind } from './medications.ts';
import { recognize, type Box, type OcrPage, type OcrSlot } from './ocr.ts';
import { detectRulings, type Rulings } from './rulings.ts';
import { median } from './stats.ts';
import { findHeader } from './table-header.ts';
import { findRows, type TableLayout } from './table-rows.ts';
import { detectTickBoxes, type TickBox } from './tickbox.ts';
import type { Stage } from './types.ts';

/** Mean word confidence under which a page without a table is also tried upside down. */
const UPSIDE_DOWN_CONFIDENCE = 75;
/** The turned reading wins without a table only when its confidence is this much higher. */
const UPSIDE_DOWN_MARGIN = 15;
/** A page with this many tick boxes is a form, upright. */
const FORM_BOXES = 3;
/** Text height assumed when the page has no Latin word to measure (working raster, px). */
const DEFAULT_TEXT_HEIGHT = 32;
/** Tick boxes are squares between these multiples of the text height. */
const TICK_BOX_MIN = 0.7;
const TICK_BOX_MAX = 2.5;
/** Margin around a re-read cell, as a share of the text height (at least MIN_CELL_PAD px). */
const CELL_PAD = 0.15;
const MIN_CELL_PAD = 5;

export interface Analysis {
  page: OcrPage;
  rulings: Rulings;
  layout: TableLayout | null;
  /** Median height of Latin/digit words: the unit of every tolerance. */
  textHeight: number;
  boxes: TickBox[];
}

/** Runs `work` as (part of) a stage: timed, under the stage's limit. */
export type Timed = <T>(stage: Stage, work: () => Promise<T>, onTimeout?: () => void) => Promise<T>;

export interface AnalyseDeps {
  slot: OcrSlot;
  timed: Timed;
  /** Adds layout time measured outside `timed` (work that runs beside the OCR). */
  addLayoutMs: (ms: number) => void;
  /** Kills the slot when a stage overruns. */
  kill: () => void;
  blurred: boolean;
  passes: { page: number; cell: number };
}

/**
 * The page OCR, with the rulings found on the other core while the native process reads;
 * then the table header and rows, the text height and the tick boxes.
 */
export async function analysePage(img: GrayImage, d: AnalyseDeps): Promise<Analysis> {
  d.passes.page++;
  let inputSent = (): void => undefined;
  const sent = new Promise<void>((resolve) => {
    inputSent = resolve;
  });
  const reading = d.timed(
    'ocr',
    () =>
      recognize(d.slot, img, {
        pass: 'page',
        onInputSent: inputSent,
        thresholding: d.blurred ? 'adaptive' : 'otsu',
      }),
    d.kill,
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
  d.addLayoutMs(performance.now() - tr);
  const page = await reading;
  const t0 = performance.now();
  const header = findHeader(page.words, rulings, img.width);
  const layout = header ? findRows(header, page.words, rulings, img.height) : null;
  const textHeight =
    median(page.words.filter((w) => /[A-Za-z0-9]/.test(w.text)).map((w) => w.bbox.y1 - w.bbox.y0)) ||
    DEFAULT_TEXT_HEIGHT;
  const boxes = detectTickBoxes(img, Math.round(textHeight * TICK_BOX_MIN), Math.round(textHeight * TICK_BOX_MAX));
  d.addLayoutMs(performance.now() - t0);
  return { page, rulings, layout, textHeight, boxes };
}

/**
 * Upside down (or turned 270° and then a quarter the wrong way): no table, no tick boxes, no
 * medication line, and a poor reading. Read once more turned 180° and keep the better reading.
 */
export async function analyseUpright(
  image: GrayImage,
  d: AnalyseDeps,
): Promise<{ image: GrayImage; analysis: Analysis }> {
  const a = await analysePage(image, d);
  const looksUpsideDown =
    a.layout === null &&
    a.boxes.length < FORM_BOXES &&
    a.page.confidence < UPSIDE_DOWN_CONFIDENCE &&
    countListLines(a.page) === 0;
  if (!looksUpsideDown) return { image, analysis: a };
  const turned = rotate180(image);
  const b = await analysePage(turned, d);
  if (b.layout !== null || b.page.confidence > a.page.confidence + UPSIDE_DOWN_MARGIN)
    return { image: turned, analysis: b };
  return { image, analysis: a };
}

/** The cell OCR the layouts call: a crop read alone, Latin-only where the cell is Latin. */
export function cellReader(
  image: GrayImage,
  textHeight: number,
  d: Pick<AnalyseDeps, 'slot' | 'passes'>,
  skipNames: boolean,
): (box: Box, kind: CellKind) => Promise<OcrPage | null> {
  return async (box, kind) => {
    if (skipNames && kind === 'name') return null;
    const pad = Math.max(MIN_CELL_PAD, Math.round(textHeight * CELL_PAD));
    // Light-grey print is darkened in cells; names and whole lines keep their grey levels.
    const crop = cropCell(image, box, pad, kind !== 'name' && kind !== 'line');
    if (crop === null) return null;
    const psm = kind === 'name' ? Tesseract.PSM.SINGLE_BLOCK : Tesseract.PSM.SINGLE_LINE;
    d.passes.cell++;
    // Names and list lines are Latin; quantities and remarks carry Khmer units and words.
    const latin = kind === 'name' || kind === 'quantity-latin' || kind === 'dose' || kind === 'line';
    return recognize(d.slot, crop, { pass: latin ? 'latin' : 'page', psm });
  };
}

/** Why a reading found no medication (for the user), or undefined when it found some. */
export function emptyReason(medications: number, text: string, layout: TableLayout | null): string | undefined {
  if (medications > 0) return undefined;
  if (text.replace(/\s+/g, '').length < 20) return 'no text found in the image';
  if (layout === null)
    return 'no medication table, list or tick-box form found: this does not look like a prescription';
  return 'a table was found but no medication row could be read';
}
