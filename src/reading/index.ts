/**
 * Prescription reader — public API (pure: image bytes in, CONTRACTS.md §1 JSON out; no
 * database, no network).
 *
 *   const reader = await createReader({ languages: ['khm', 'eng'] });
 *   const result = await reader.read(bytes);
 *   await reader.close();
 *
 * or `readPrescription(bytes)` with a lazily created shared reader (closeSharedReader() at exit).
 */
import { createReader } from './reader.ts';
import type { PrescriptionReader, ReaderOptions, ReadOptions, ReadResult } from './types.ts';

export { createReader } from './reader.ts';
export { ReadingError, isReadingError, type ReadingErrorCode } from './errors.ts';
export { MAX_BYTES, MAX_PIXELS, sniffFormat, validateImage } from './validate.ts';
export type {
  DosageSchedule,
  FieldConfidence,
  OcrSummary,
  PrescriptionReader,
  PrescriptionReading,
  ReadMedication,
  ReadOptions,
  ReadPatient,
  ReadResult,
  ReaderLogger,
  ReaderOptions,
  Slot,
  Stage,
} from './types.ts';
export { SLOTS, STAGES } from './types.ts';

let shared: Promise<PrescriptionReader> | null = null;
let sharedKey = '';

/**
 * Reads one prescription with a shared, lazily created reader (warm workers reused across
 * calls). Options other than the per-read ones take effect when the shared reader is created.
 */
export async function readPrescription(
  bytes: Buffer | Uint8Array,
  options: ReaderOptions & ReadOptions = {},
): Promise<ReadResult> {
  const { signal, skipNameRepass, ...readerOptions } = options;
  const key = JSON.stringify({ l: readerOptions.languages ?? null, w: readerOptions.workers ?? null });
  if (shared === null || key !== sharedKey) {
    const previous = shared;
    sharedKey = key;
    shared = createReader(readerOptions);
    shared.catch(() => {
      shared = null;
    });
    if (previous !== null) void previous.then((r) => r.close()).catch(() => undefined);
  }
  const reader = await shared;
  return reader.read(bytes, { signal, skipNameRepass });
}

/** Terminates the shared reader's workers (so that a process can exit). */
export async function closeSharedReader(): Promise<void> {
  const s = shared;
  shared = null;
  if (s !== null) await (await s).close();
}
