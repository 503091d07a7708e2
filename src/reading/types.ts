/** Result types of the prescription reader (CONTRACTS.md §1). */

export type Slot = 'morning' | 'noon' | 'evening' | 'night';
export const SLOTS: readonly Slot[] = ['morning', 'noon', 'evening', 'night'];

export type DosageSchedule = Record<Slot, number>;

/** Per-field confidences (0..1) so a review screen can flag doubtful cells. */
export interface FieldConfidence {
  name: number;
  strength: number;
  quantity: number;
  dosage_schedule: Record<Slot, number>;
}

export interface ReadMedication {
  sequence: number;
  /** As printed, OCR errors corrected from the lexicon when the match is sure. */
  name: string;
  /** From the drug lexicon; null when the name is unknown. */
  generic_name: string | null;
  /** Stable lexicon id (for interactions); null when unknown. */
  drug_id: string | null;
  /** Normalised: no space, lower-case unit ("10mg", "0.5g", "70/30", "120mg/5ml"). */
  strength: string | null;
  form: string | null;
  quantity: number | null;
  quantity_unit: string | null;
  dosage_schedule: DosageSchedule;
  duration_days: number | null;
  instructions: string | null;
  take_after_meal: boolean;
  take_before_meal: boolean;
  confidence: number;
  field_confidence: FieldConfidence;
}

export interface ReadPatient {
  name: string | null;
  age: number | null;
  gender: 'female' | 'male' | null;
}

export interface OcrSummary {
  engine: string;
  languages: string[];
  confidence: number;
  processing_ms: number;
  /** Wall time per stage, milliseconds. */
  stages_ms: Partial<Record<Stage, number>>;
  /** OCR engine calls for this photo: full-page passes and cell passes. */
  passes?: { page: number; cell: number };
  warnings: string[];
}

/** What the reader finds around the medication list: letterhead, patient, doctor. */
export interface HeaderFields {
  hospital_name: string | null;
  prescription_number: string | null;
  /** ISO date (yyyy-mm-dd). */
  prescription_date: string | null;
  patient: ReadPatient;
  diagnosis: string[];
  department: string | null;
  prescribing_doctor_name: string | null;
}

export interface PrescriptionReading extends HeaderFields {
  medications: ReadMedication[];
  /** Why the medication list is empty (not a prescription, no table found, …); absent otherwise. */
  empty_reason?: string;
  /** 'table' (printed grid), 'tick_form' (pre-printed list with tick boxes), 'list' (read line by line), 'none'. */
  layout: 'table' | 'tick_form' | 'list' | 'none';
  ocr: OcrSummary;
  raw_text: string;
}

export type ReadResult = PrescriptionReading;

export type Stage = 'validate' | 'decode' | 'preprocess' | 'ocr' | 'layout' | 'parse';
export const STAGES: readonly Stage[] = ['validate', 'decode', 'preprocess', 'ocr', 'layout', 'parse'];

/** Minimal logger (pino-compatible subset) so the reader can be given the service's logger. */
export interface ReaderLogger {
  warn(msg: string): void;
  info?(msg: string): void;
  debug?(msg: string): void;
}

export interface ReaderOptions {
  /** Tesseract language codes or the CLI's km/en/fr; default khm+eng. */
  languages?: string[];
  /** Warm OCR workers; default: number of cores (at most 4). */
  workers?: number;
  /** Hard time limit per stage, milliseconds. */
  timeoutsMs?: Partial<Record<Stage, number>>;
  /** Where warnings go (missing Khmer data, …); default stderr once. */
  logger?: ReaderLogger;
  /** Directory holding khm.traineddata; default env DASTERN_TESSDATA_DIR, else Debian's. */
  tessdataDir?: string;
  /**
   * OCR engine for full pages: 'auto' (default) the native tesseract when installed, else
   * tesseract.js; 'wasm' always tesseract.js; 'native' the same as auto, with a warning when
   * the binary is missing. Cells are always read by tesseract.js.
   */
  engine?: 'auto' | 'native' | 'wasm';
  /** Path to the drug lexicon JSON; default src/reading/lexicon/drugs.json. */
  lexiconPath?: string;
}

export interface ReadOptions {
  /** Abort the whole read (in addition to the per-stage limits). */
  signal?: AbortSignal;
  /** Skip the second, English-only pass over the name cells (faster, less accurate). */
  skipNameRepass?: boolean;
}

export interface PrescriptionReader {
  read(bytes: Buffer | Uint8Array, opts?: ReadOptions): Promise<ReadResult>;
  close(): Promise<void>;
}
