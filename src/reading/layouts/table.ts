/** A printed table with header words (ruled or aligned by spaces): read cell by cell. */
import { readTableRows } from '../medications.ts';
import type { LayoutModule } from './types.ts';

export const tableLayout: LayoutModule = {
  id: 'table',
  detect: (p) => (p.table === null ? 0 : 0.9),
  async read(p) {
    const table = p.table;
    if (table === null) return [];
    const boxes = p.boxes.filter((b) => b.y0 >= table.bbox.y0 && b.y1 <= table.bbox.y1 + 5);
    return readTableRows({
      layout: table,
      image: p.image,
      lexicon: p.lexicon,
      textHeight: p.textHeight,
      ocrCell: p.ocrCell,
      boxes,
    });
  },
};
