/** Hand-made OCR word boxes for layout tests. */
import type { OcrWord } from '../../src/reading/ocr.ts';

let lineNo = 0;

/** Words of one text line at y, each [text, x0, x1], 36 px high; every call is a new OCR line. */
export function line(y: number, ...ws: Array<[string, number, number]>): OcrWord[] {
  const l = lineNo++;
  return ws.map(([text, x0, x1]) => ({ text, conf: 90, bbox: { x0, y0: y, x1, y1: y + 36 }, line: l }));
}
