/**
 * Statements about the cluster and its roles rather than a domain's tables (SQL lives here, in
 * src/db/, by the rule of README "Where SQL lives"): the data directory, a session-level
 * advisory lock, and the service role's grants on pg-boss's schema.
 */
import pg from 'pg';

/** The server's data directory (owner's login). */
export async function dataDirectory(ownerUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    return (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]?.d ?? '';
  } finally {
    await client.end();
  }
}

/** Runs fn while holding the advisory lock `name` on a session of its own (ending the session releases it). */
export async function withSessionLock<T>(url: string, name: string, fn: () => Promise<T>): Promise<T> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('dastern'), hashtext($1))", [name]);
    return await fn();
  } finally {
    await lock.end();
  }
}

/** What dastern_app needs on the job queue's schema (it sends jobs inside its own transactions). */
export function queueGrants(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  return `GRANT USAGE ON SCHEMA ${schema} TO dastern_app;
       GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO dastern_app;
       GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO dastern_app;`;
}
