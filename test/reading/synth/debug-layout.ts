/**
 * Developer aid: prints what the layout stage saw on one image (header columns, rows, cells).
 *   npx tsx test/reading/synth/debug-layout.ts <image>
 */
import fs from 'node:fs';
import { decodeGray, preprocess } from '../../../src/reading/preprocess.ts';
import { OcrPool, recognize } from '../../../src/reading/ocr.ts';
import { prepareLanguageData } from '../../../src/reading/tessdata.ts';
import { detectRulings } from '../../../src/reading/rulings.ts';
import { findHeader } from '../../../src/reading/table-header.ts';
import { findRows } from '../../../src/reading/table-rows.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: debug-layout.ts <image>');
const data = prepareLanguageData(['khm', 'eng']);
const pool = new OcrPool({ langPath: data.langPath, languages: data.languages, size: 1 });
const pre = await preprocess(await decodeGray(fs.readFileSync(file), 10));
console.log(
  `image ${pre.image.width}x${pre.image.height} skew ${pre.skewDeg} turned ${pre.quarterTurns} blurred ${pre.blurred}`,
);
const slot = await pool.acquire();
const page = await recognize(slot, pre.image, { pass: 'page', thresholding: pre.blurred ? 'adaptive' : 'otsu' });
const rulings = detectRulings(pre.image);
console.log(`confidence ${page.confidence}`);
console.log(`rulings: ${rulings.horizontal.length} h, ${rulings.vertical.length} v`);
for (const l of page.lines)
  console.log(`  line y${l.bbox.y0}-${l.bbox.y1}: ${l.words.map((w) => `${w.text}@${w.bbox.x0}`).join(' ')}`);
const header = findHeader(page.words, rulings, pre.image.width);
if (header === null) console.log('no header');
else {
  console.log(`header y${header.y0}-${header.y1} x${header.x0}-${header.x1} ruled=${header.ruled}`);
  for (const c of header.columns)
    console.log(`  col ${c.role ?? '-'} ${Math.round(c.x0)}-${Math.round(c.x1)} "${c.label}" ${c.evidence}`);
  const layout = findRows(header, page.words, rulings, pre.image.height);
  for (const r of layout?.rows ?? [])
    console.log(
      `  row ${Math.round(r.y0)}-${Math.round(r.y1)}: ${r.cells.map((c) => c.map((w) => w.text).join(' ')).join(' | ')}`,
    );
}
pool.release(slot);
await pool.close();
