/**
 * A layout is one module: `detect` scores how well a page fits it (0: not at all, 1: surely),
 * `read` turns the page into medications. The registry (registry.ts) tries the layouts in the
 * order of their scores and keeps the first reading that finds a medication, so a new layout
 * touches no existing one.
 */
import type { GrayImage } from '../image-ops.ts';
import type { Lexicon } from '../lexicon/match.ts';
import type { CellOcr } from '../medications.ts';
import type { OcrPage } from '../ocr.ts';
import type { Rulings } from '../rulings.ts';
import type { TableLayout } from '../table-rows.ts';
import type { TickBox } from '../tickbox.ts';
import type { ReadMedication } from '../types.ts';

export type LayoutId = 'table' | 'tick_form' | 'list';

/** What every layout may look at: the page OCR and what was found on the image. */
export interface PageAnalysis {
  page: OcrPage;
  image: GrayImage;
  rulings: Rulings;
  /** The medication table found from header words, or null. */
  table: TableLayout | null;
  /** Median height of Latin/digit words, pixels: the unit of every tolerance. */
  textHeight: number;
  boxes: TickBox[];
  lexicon: Lexicon;
  ocrCell: CellOcr;
}

export interface LayoutModule {
  id: LayoutId;
  /** 0..1; 0 means "do not try". */
  detect(page: PageAnalysis): number;
  read(page: PageAnalysis): Promise<ReadMedication[]>;
}
