/**
 * One Chromium for every PDF the app serves (src/pdf/renderer.ts): the renderer starts its
 * browser on the first PDF, shares it between PDFs asked at once, starts again after close();
 * an app prints an AI report and a payment receipt with the one renderer it was given.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, API_PREFIX } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { PdfRenderer } from '../../src/pdf/renderer.ts';
import { register, testConfig, useApi } from '../support/api.ts';
import { makePremium } from '../ai/support.ts';

const h = useApi();
const renderer = new PdfRenderer(testConfig().chromiumPath);
afterAll(() => renderer.close());

function skipWithoutChromium(ctx: { skip: () => void }): void {
  if (renderer.available()) return;
  console.log(
    `SKIPPED: PDF renderer — no Chromium at ${renderer.chromiumPath} (scripts/install-system-deps.sh installs it)`,
  );
  ctx.skip();
}

const isPdf = (bytes: Buffer): boolean => bytes.subarray(0, 5).toString('latin1') === '%PDF-';

describe('PDF renderer', () => {
  it('starts Chromium once for PDFs asked at once, and again only after close()', async (ctx) => {
    skipWithoutChromium(ctx);
    const own = new PdfRenderer(renderer.chromiumPath);
    expect(own.launches).toBe(0);
    const pdfs = await Promise.all([
      own.render('<p>ថ្នាំ Amlodipine 5mg</p>'),
      own.render('<p>Receipt DT-2026-000001</p>'),
      own.render('<p>Ordonnance</p>'),
    ]);
    expect(pdfs.map(isPdf)).toEqual([true, true, true]);
    expect(own.launches).toBe(1);
    await own.close();
    expect(isPdf(await own.render('<p>again</p>'))).toBe(true);
    expect(own.launches).toBe(2);
    await own.close();
  });

  it('a failed start is forgotten: the next PDF tries again', async () => {
    const broken = new PdfRenderer('/nonexistent/chromium');
    expect(broken.available()).toBe(false);
    await expect(broken.render('<p>x</p>')).rejects.toThrow();
    await expect(broken.render('<p>x</p>')).rejects.toThrow();
    expect(broken.launches).toBe(2);
    await broken.close();
  });

  it('one app prints an AI report and a payment receipt with the same browser', async (ctx) => {
    skipWithoutChromium(ctx);
    const app = await buildApp({
      db: h().t.db,
      systemDb: h().t.worker,
      logger: createLogger('silent'),
      config: testConfig({ DASTERN_PAYMENT_GATEWAYS: 'sandbox' }),
      mailer: h().mailer,
      pdf: renderer,
    });
    try {
      const patient = await register(h(), 'patient', { language: 'km' });
      await makePremium(h(), patient.id);
      const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
        app.inject({
          method,
          url: `${API_PREFIX}${url}`,
          headers: { authorization: `Bearer ${patient.access}` },
          ...(payload !== undefined ? { payload } : {}),
        });
      const report = await call('POST', '/ai/reports', { kind: 'adherence', days: 7 });
      expect(report.statusCode, report.body).toBe(201);
      const checkout = await call('POST', '/subscriptions/checkout', {
        plan_code: 'premium_monthly',
        gateway: 'sandbox',
      });
      expect(checkout.statusCode, checkout.body).toBe(201);
      const payment = checkout.json<{ payment_id: string }>().payment_id;
      const done = await call('POST', `/payments/sandbox/${payment}/complete`);
      expect(done.statusCode, done.body).toBe(200);

      const [reportPdf, receiptPdf] = await Promise.all([
        call('GET', `/ai/reports/${report.json<{ id: string }>().id}/pdf`),
        call('GET', `/payments/${payment}/receipt/pdf`),
      ]);
      expect([reportPdf.statusCode, receiptPdf.statusCode]).toEqual([200, 200]);
      expect([isPdf(reportPdf.rawPayload), isPdf(receiptPdf.rawPayload)]).toEqual([true, true]);
      expect(renderer.launches).toBe(1);
    } finally {
      await app.close();
    }
    // the renderer was given to the app: the app leaves it open for its owner
    expect(isPdf(await renderer.render('<p>after the app</p>'))).toBe(true);
    expect(renderer.launches).toBe(1);
  });
});
