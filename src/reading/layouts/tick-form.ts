/** A pre-printed drug list with tick boxes (see ../tickform.ts). */
import { readTickForm } from '../tickform.ts';
import type { LayoutModule } from './types.ts';

/** Fewer boxes than this is not a form. */
const MIN_BOXES = 3;

export const tickFormLayout: LayoutModule = {
  id: 'tick_form',
  detect: (p) => (p.table === null && p.boxes.length >= MIN_BOXES ? 0.8 : 0),
  async read(p) {
    return (
      (await readTickForm({
        page: p.page,
        boxes: p.boxes,
        lexicon: p.lexicon,
        textHeight: p.textHeight,
        ocrCell: p.ocrCell,
      })) ?? []
    );
  },
};
