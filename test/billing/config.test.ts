/**
 * Billing configuration (production refuses a gateway without its keys, and the sandbox), money
 * in minor units, and the sandbox route's absence in production (through HTTP).
 */
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { buildApp, API_PREFIX } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { decimalToMinor, formatMoney, minorToDecimal } from '../../src/billing/money.ts';
import { JWT_SECRET, register, useApi } from '../support/api.ts';

const keys = webpush.generateVAPIDKeys();
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/none',
  DASTERN_JWT_SECRET: JWT_SECRET,
  DASTERN_SMTP_URL: 'smtp://127.0.0.1:2525',
  DASTERN_VAPID_PUBLIC_KEY: keys.publicKey,
  DASTERN_VAPID_PRIVATE_KEY: keys.privateKey,
  DASTERN_VAPID_SUBJECT: 'mailto:ops@dastern.test',
  LOG_LEVEL: 'silent',
};
const STRIPE = {
  DASTERN_STRIPE_SECRET_KEY: 'sk_live_abcdefgh1234',
  DASTERN_STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh1234',
};
const BAKONG = { DASTERN_BAKONG_TOKEN: 'token-0123456789', DASTERN_BAKONG_ACCOUNT_ID: 'dastern@aclb' };

describe('billing configuration', () => {
  it('production offers no gateway by default, never the sandbox, and refuses a listed gateway without its keys', () => {
    expect(loadConfig(PRODUCTION).billing.gateways).toEqual([]);
    expect(() => loadConfig({ ...PRODUCTION, DASTERN_PAYMENT_GATEWAYS: 'sandbox' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...PRODUCTION, DASTERN_PAYMENT_GATEWAYS: 'stripe' })).toThrow(
      /DASTERN_STRIPE_SECRET_KEY/,
    );
    expect(() =>
      loadConfig({
        ...PRODUCTION,
        DASTERN_PAYMENT_GATEWAYS: 'stripe',
        DASTERN_STRIPE_SECRET_KEY: STRIPE.DASTERN_STRIPE_SECRET_KEY,
      }),
    ).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadConfig({ ...PRODUCTION, DASTERN_PAYMENT_GATEWAYS: 'bakong', DASTERN_BAKONG_TOKEN: 'x' })).toThrow(
      /DASTERN_BAKONG_ACCOUNT_ID/,
    );
    expect(() =>
      loadConfig({
        ...PRODUCTION,
        ...BAKONG,
        DASTERN_PAYMENT_GATEWAYS: 'bakong',
        DASTERN_BAKONG_API_URL: 'http://bakong.test',
      }),
    ).toThrow(/https/);
    expect(
      loadConfig({ ...PRODUCTION, ...STRIPE, ...BAKONG, DASTERN_PAYMENT_GATEWAYS: 'bakong,stripe' }).billing.gateways,
    ).toEqual(['bakong', 'stripe']);
    expect(loadConfig({ ...PRODUCTION, ...STRIPE }).billing.gateways).toEqual(['stripe']);
    expect(() => loadConfig({ NODE_ENV: 'test', DASTERN_PAYMENT_GATEWAYS: 'paypal' })).toThrow(/unknown gateway/);
    expect(() => loadConfig({ NODE_ENV: 'test', DASTERN_STRIPE_SECRET_KEY: 'pk_test_oops' })).toThrow(/secret key/);
    expect(loadConfig({ NODE_ENV: 'development' }).billing.gateways).toEqual(['sandbox']);
  });

  it('keeps money in integer minor units', () => {
    expect(minorToDecimal(50, 'USD')).toBe('0.50');
    expect(minorToDecimal(500, 'USD')).toBe('5.00');
    expect(minorToDecimal(7, 'USD')).toBe('0.07');
    expect(minorToDecimal(2000, 'KHR')).toBe('2000');
    expect(decimalToMinor('0.5', 'USD')).toBe(50);
    expect(decimalToMinor(0.5, 'USD')).toBe(50);
    expect(decimalToMinor(0.1 + 0.2, 'USD')).toBeNull(); // 0.30000000000000004 is not read as 30
    expect(decimalToMinor('0.505', 'USD')).toBeNull();
    expect(decimalToMinor('-1', 'USD')).toBeNull();
    expect(decimalToMinor('1e3', 'KHR')).toBeNull();
    expect(decimalToMinor('2000.0', 'KHR')).toBe(2000);
    expect(decimalToMinor('2000.5', 'KHR')).toBeNull();
    expect(formatMoney(50, 'USD')).toBe('$0.50');
    expect(formatMoney(20000, 'KHR')).toBe('20,000 ៛');
    expect(() => minorToDecimal(0.5, 'USD')).toThrow(RangeError);
  });
});

describe('the sandbox in production', () => {
  const h = useApi();
  it('has no route: POST /payments/sandbox/:id/complete answers 404, and checkout refuses the sandbox', async () => {
    const x = h();
    const p = await register(x, 'patient');
    const app = await buildApp({
      db: x.t.db,
      logger: createLogger('silent'),
      config: loadConfig({ ...PRODUCTION, ...STRIPE }),
      mailer: x.mailer,
    });
    try {
      const headers = { authorization: `Bearer ${p.access}` };
      const complete = await app.inject({
        method: 'POST',
        url: `${API_PREFIX}/payments/sandbox/00000000-0000-4000-8000-000000000009/complete`,
        headers,
      });
      expect(complete.statusCode).toBe(404);
      const checkout = await app.inject({
        method: 'POST',
        url: `${API_PREFIX}/subscriptions/checkout`,
        headers,
        payload: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      });
      expect(checkout.statusCode).toBe(400);
      expect(checkout.json<{ code: string }>().code).toBe('gateway_unavailable');
      expect(
        (await app.inject({ method: 'GET', url: `${API_PREFIX}/plans` })).json<{ gateways: string[] }>().gateways,
      ).toEqual(['stripe']);
    } finally {
      await app.close();
    }
  });
});
