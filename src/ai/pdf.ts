/**
 * HTML → PDF with Chromium's page.pdf() (Debian `chromium` driven by playwright-core): Khmer is
 * shaped by Chromium's HarfBuzz and stays searchable text. One browser per process, started on
 * the first PDF and closed with the app.
 */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DASTERN_CHROMIUM_PATH ?? '/usr/bin/chromium';

export class PdfRenderer {
  private browser: Promise<Browser> | undefined;

  available(): boolean {
    return fs.existsSync(CHROMIUM_PATH);
  }

  async render(html: string): Promise<Buffer> {
    // loaded on first use: playwright-core alone is ~0.5 s of CPU at every start of the service
    this.browser ??= import('playwright-core').then(({ chromium }) =>
      chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      }),
    );
    let browser: Browser;
    try {
      browser = await this.browser;
    } catch (err) {
      this.browser = undefined;
      throw err;
    }
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    try {
      const page = await context.newPage();
      await page.setContent(html, { waitUntil: 'load' });
      return await page.pdf({
        format: 'A4',
        printBackground: true,
        margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
      });
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    const b = this.browser;
    this.browser = undefined;
    if (b) await (await b.catch(() => undefined))?.close();
  }
}
