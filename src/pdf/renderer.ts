/**
 * HTML → PDF with Chromium's page.pdf() (Debian `chromium` driven by playwright-core): Khmer is
 * shaped by Chromium's HarfBuzz and stays searchable text. The app holds one renderer (built in
 * src/http/app.ts) for every PDF it serves, the AI reports and the payment receipts: one browser
 * per process, started on the first PDF and closed with the app.
 */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

export class PdfRenderer {
  private browser: Promise<Browser> | undefined;
  /** How many times a browser was started (one while it stays up; again after close() or a failed start). */
  launches = 0;

  /** `chromiumPath`: the browser binary (config.chromiumPath, DASTERN_CHROMIUM_PATH). */
  constructor(readonly chromiumPath: string) {}

  available(): boolean {
    return fs.existsSync(this.chromiumPath);
  }

  async render(html: string): Promise<Buffer> {
    const browser = await this.start();
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

  /** The browser, launched on first use; a failed launch is forgotten so the next PDF tries again. */
  private async start(): Promise<Browser> {
    if (this.browser === undefined) {
      this.launches += 1;
      // loaded on first use: playwright-core alone is ~0.5 s of CPU at every start of the service
      this.browser = import('playwright-core').then(({ chromium }) =>
        chromium.launch({
          executablePath: this.chromiumPath,
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
        }),
      );
    }
    const pending = this.browser;
    try {
      return await pending;
    } catch (err) {
      if (this.browser === pending) this.browser = undefined;
      throw err;
    }
  }
}
