/**
 * A stage over its time limit kills the OCR slot while the read that used it may still go on
 * in the background. That background read must end with a typed error, never by sending a job
 * to the terminated tesseract.js worker (which threw outside any promise and ended the process).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OcrPool, recognize } from '../../src/reading/ocr.ts';
import { prepareLanguageData } from '../../src/reading/tessdata.ts';
import { ReadingError } from '../../src/reading/errors.ts';

const data = prepareLanguageData(['eng']);
// tesseract.js only (no native pages): the killed slot's page worker is the one reused.
const pool = new OcrPool({ langPath: data.langPath, languages: data.languages, size: 1, nativePages: false });
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await pool.close();
});

const page = { width: 200, height: 60, data: new Uint8Array(200 * 60).fill(255) };

describe('an OCR slot killed after a time limit', () => {
  it('refuses further work with a timeout error, and the next slot reads', async () => {
    const slot = await pool.acquire();
    await recognize(slot, page, { pass: 'page' }); // the worker is up and has read once
    await pool.kill(slot);
    const err = await recognize(slot, page, { pass: 'page' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReadingError);
    expect((err as ReadingError).code).toBe('timeout');
    const next = await pool.acquire();
    expect(next).not.toBe(slot);
    const read = await recognize(next, page, { pass: 'page' });
    expect(read.words).toEqual([]);
    pool.release(next);
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
  });
});
