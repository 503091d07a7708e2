/**
 * The accessibility check every browser test runs on its screens (axeProblems in
 * test/web/support.ts, axe.run in the page) finds serious and critical violations, in the page
 * and inside a frame of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeProblems, CHROMIUM, hasChromium, launch } from './support.ts';

if (!hasChromium)
  console.log(`SKIPPED: test/web/axe.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`);

const BAD = '<button></button><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">';

describe.skipIf(!hasChromium)('axeProblems', () => {
  let browser: Browser;
  beforeAll(async () => {
    ({ browser } = await launch());
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('names the critical violations of a page of one frame, and none of a clean page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.setContent(
        `<!doctype html><html lang="en"><head><title>t</title></head><body><main>${BAD}</main></body></html>`,
      );
      const problems = await axeProblems(page);
      expect(problems.some((p) => p.startsWith('button-name (critical)'))).toBe(true);
      expect(problems.some((p) => p.startsWith('image-alt (critical)'))).toBe(true);
      await page.setContent(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Fine</h1><button>OK</button></main></body></html>',
      );
      expect(await axeProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('looks inside a frame', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const inner = `<!doctype html><html lang="en"><head><title>r</title></head><body>${BAD}</body></html>`;
      await page.setContent(
        `<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Receipt</h1><iframe title="receipt" srcdoc="${inner.replace(/"/g, '&quot;')}"></iframe></main></body></html>`,
      );
      await page.frameLocator('iframe').locator('button').waitFor({ state: 'attached' });
      const problems = await axeProblems(page);
      expect(problems.filter((p) => p.startsWith('button-name (critical): iframe'))).toHaveLength(1);
    } finally {
      await context.close();
    }
  });
});
