/** The reader's typed error: a stable `code` callers can branch on, and a one-line message. */

export type ReadingErrorCode =
  | 'unsupported_format'
  | 'too_large'
  | 'too_many_pixels'
  | 'too_small'
  | 'corrupt_image'
  | 'timeout'
  | 'empty'
  | 'aborted'
  | 'ocr_unavailable'
  | 'closed';

export class ReadingError extends Error {
  override name = 'ReadingError';
  readonly code: ReadingErrorCode;

  constructor(code: ReadingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isReadingError(err: unknown): err is ReadingError {
  return err instanceof ReadingError;
}
