/** Hard time limits per stage. */
import { ReadingError } from './errors.ts';
import type { Stage } from './types.ts';

export const DEFAULT_TIMEOUTS_MS: Record<Stage, number> = {
  validate: 2_000,
  decode: 10_000,
  preprocess: 10_000,
  ocr: 45_000,
  layout: 10_000,
  parse: 30_000,
};

/**
 * Resolves with the promise, or rejects with ReadingError('timeout') after `ms`; `onTimeout`
 * runs then (e.g. to kill an OCR worker that is still busy).
 */
export async function withTimeout<T>(
  stage: Stage,
  ms: number,
  work: Promise<T>,
  onTimeout?: () => void,
  signal?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new ReadingError('timeout', `the ${stage} stage took longer than ${Math.round(ms / 1000)} s`));
    }, ms);
    if (signal !== undefined) {
      onAbort = () => {
        onTimeout?.();
        reject(new ReadingError('aborted', 'the read was aborted'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (signal !== undefined && onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    // The losing promise must not surface as an unhandled rejection later.
    work.catch(() => undefined);
  }
}
