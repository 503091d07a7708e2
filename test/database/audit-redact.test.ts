/**
 * app_audit_redact() (migration 040: its quick test looks at the keys, not at the whole text):
 * the same result as the definition before 040 for objects with and without secret-looking
 * keys, in any case, nested, in values only, and for non-objects.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase({ seed: false });

/** The definition before migration 040, as a temporary function. */
const BEFORE = `CREATE FUNCTION pg_temp.redact_before(p_values jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_values IS NULL OR pg_catalog.jsonb_typeof(p_values) <> 'object'
     OR NOT (p_values::text ~* '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)'
             OR pg_catalog.lower(p_values::text) ~ '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)') THEN
    RETURN p_values;
  END IF;
  RETURN (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key,
                    CASE WHEN (e.key ~* '(password|token|secret|invitation_code|otp)'
                               OR pg_catalog.lower(e.key) IN ('endpoint', 'p256dh', 'auth'))
                          AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM pg_catalog.jsonb_each(p_values) AS e);
END $$`;

const INPUTS: unknown[] = [
  { ids: ['4f9c1c2e-8a3b-4d5e-9f00-1a2b3c4d5e6f', '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'], count: 2 },
  {},
  { password_hash: 'x', language: 'km' },
  { PassWord: 'x', Access_Token: 'y', refresh: 'z' },
  { ENDPOINT: 'https://push.example/1', P256dh: 'k', Auth: 'a', auth_method: 'otp' },
  { invitation_code: 'ABC123', otp_sent: true, note: null, secret: null },
  { note: 'my password is in a value, not a key', endpoint_hint: 'token' },
  { nested: { password: 'kept: only top-level keys are redacted' }, list: [{ token: 'x' }] },
  { ſecret: 1, İnvitation_code: 2, ΑUTH: 3 },
  ['password', 'token'],
  'secret',
  42,
  null,
];

describe('app_audit_redact()', () => {
  it('gives what the definition before 040 gave, input by input', async () => {
    const c = await t().owner.connect();
    try {
      await c.query(BEFORE);
      for (const input of INPUTS) {
        const r = await c.query<{ now: unknown; before: unknown }>(
          'SELECT app_audit_redact($1::jsonb) AS now, pg_temp.redact_before($1::jsonb) AS before',
          [input === null ? null : JSON.stringify(input)],
        );
        expect(r.rows[0]?.now, JSON.stringify(input)).toEqual(r.rows[0]?.before);
      }
      const masked = await c.query<{ v: Record<string, unknown> }>(
        `SELECT app_audit_redact('{"PassWord":"x","Auth":"a","language":"km","secret":null}') AS v`,
      );
      expect(masked.rows[0]?.v).toEqual({ PassWord: '[REDACTED]', Auth: '[REDACTED]', language: 'km', secret: null });
    } finally {
      c.release();
    }
  });
});
