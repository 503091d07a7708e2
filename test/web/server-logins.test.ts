/**
 * startWebServer (test/web/support.ts) runs `dastern serve` in-process on this file's database
 * with the run's own logins: the roles dastern_app and dastern_worker are cluster-wide, and a
 * server that set a password of its own on one (as it does for a login it is not given) would cut
 * every other test file running at that moment off that login, wherever the server checks
 * passwords (the embedded test server does).
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { startWebServer } from './support.ts';

const t = useTestDatabase();

async function passwords(): Promise<Record<string, string | null>> {
  const res = await t().owner.query<{ rolname: string; rolpassword: string | null }>(
    "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN ('dastern_app', 'dastern_worker') ORDER BY rolname",
  );
  return Object.fromEntries(res.rows.map((r) => [r.rolname, r.rolpassword]));
}

describe('the web tests’ server', () => {
  it('leaves the passwords of the cluster-wide logins as they were', async () => {
    const before = await passwords();
    expect(Object.keys(before)).toEqual(['dastern_app', 'dastern_worker']);
    const web = await startWebServer(t());
    try {
      expect(await passwords()).toEqual(before);
    } finally {
      await web.stop();
    }
  });
});
