/**
 * A page analysis for the list layout built from text lines (no image, no OCR): words left to
 * right, one line every 60 px, the repository lexicon. Lines read again alone give nothing.
 */
import type { PageAnalysis } from '../../src/reading/layouts/types.ts';
import { loadLexiconFile } from '../../src/reading/lexicon/load.ts';
import { Lexicon } from '../../src/reading/lexicon/match.ts';
import type { OcrLine, OcrPage, OcrWord } from '../../src/reading/ocr.ts';
import { detectRulings } from '../../src/reading/rulings.ts';

export const repositoryLexicon = new Lexicon(loadLexiconFile());

/** OCR lines as the engine gives them: words left to right, one line every 60 px. */
export function pageOf(texts: string[]): OcrPage {
  const words: OcrWord[] = [];
  const lines: OcrLine[] = texts.map((text, li) => {
    let x = 40;
    const y0 = 100 + li * 60;
    const lw = text.split(' ').map((t) => {
      const w: OcrWord = { text: t, conf: 90, bbox: { x0: x, y0, x1: x + t.length * 18, y1: y0 + 32 }, line: li };
      x += t.length * 18 + 14;
      return w;
    });
    words.push(...lw);
    return { text, conf: 90, bbox: { x0: 40, y0, x1: x, y1: y0 + 32 }, words: lw };
  });
  return { words, lines, text: texts.join('\n'), confidence: 90 };
}

export function listPage(texts: string[]): PageAnalysis {
  const image = { width: 1200, height: 900, data: new Uint8Array(1200 * 900).fill(255) };
  return {
    page: pageOf(texts),
    image,
    rulings: detectRulings(image),
    table: null,
    textHeight: 32,
    boxes: [],
    lexicon: repositoryLexicon,
    ocrCell: () => Promise.resolve(null),
  };
}
