/**
 * app_audit_redact() (migration 040: its quick test looks at the keys, not at the whole text):
 * the same result as the definition before 040 for objects with and without secret-looking
 * keys, in any case, nested, in values only, and for non-objects.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_DIR } from '../../src/db/migrations.ts';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase({ seed: false });

/** The definition before migration 040 (its migrate:down section), as a temporary function. */
function definitionBefore(): string {
  const file = fs.readFileSync(path.join(DATABASE_DIR, 'migrations/040_audit_redact_by_keys.sql'), 'utf8');
  const down = /\/\* migrate:down([\s\S]*)\*\//.exec(file)?.[1];
  if (down === undefined) throw new Error('040 has no migrate:down section');
  return down.replace('CREATE OR REPLACE FUNCTION app_audit_redact(', 'CREATE FUNCTION pg_temp.redact_before(');
}

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
      await c.query(definitionBefore());
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
