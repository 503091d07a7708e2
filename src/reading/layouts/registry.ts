/**
 * The layouts the reader knows, each one module (./types.ts). To add a layout: write its module
 * and add it here; no other layout changes.
 */
import { listLayout } from './list.ts';
import { tableLayout } from './table.ts';
import { tickFormLayout } from './tick-form.ts';
import type { LayoutId, LayoutModule, PageAnalysis } from './types.ts';
import type { ReadMedication } from '../types.ts';

export const LAYOUTS: readonly LayoutModule[] = [tableLayout, tickFormLayout, listLayout];

/** Tries the layouts by decreasing score; the first that finds a medication wins. */
export async function readLayouts(
  page: PageAnalysis,
  layouts: readonly LayoutModule[] = LAYOUTS,
): Promise<{ layout: LayoutId | 'none'; medications: ReadMedication[] }> {
  const scored = layouts.map((l) => ({ l, s: l.detect(page) })).filter((x) => x.s > 0);
  scored.sort((a, b) => b.s - a.s);
  for (const { l } of scored) {
    const medications = await l.read(page);
    if (medications.length > 0) return { layout: l.id, medications };
  }
  return { layout: 'none', medications: [] };
}
