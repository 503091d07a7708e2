/**
 * The web app's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document the
 * running API serves: regenerated here and compared, so the app and the API cannot drift.
 * Regenerate: npx tsx web/scripts/api-types.ts http://127.0.0.1:<port>/docs/json
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useApi, startFullApp } from '../support/api.ts';
import { apiTypes, SCHEMA_FILE } from '../../web/scripts/api-types.ts';

const api = useApi();

describe('web app API types', () => {
  it('match the OpenAPI document of the whole API (as dastern serve builds it)', async () => {
    const full = await startFullApp(api());
    try {
      const doc = (await full.app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(Object.keys(doc.paths as object)).toContain('/api/v1/prescriptions/{id}');
      const fresh = await apiTypes(doc);
      expect(
        fresh === fs.readFileSync(SCHEMA_FILE, 'utf8'),
        'web/src/api/schema.d.ts is stale: run web/scripts/api-types.ts against a running server',
      ).toBe(true);
    } finally {
      await full.close();
    }
  });
});
