/**
 * What each line of `npm run bench:api` asks of PostgreSQL per request (BENCH_STATEMENTS=1):
 * pg_stat_statements read before and after a run, the difference divided by the requests
 * served — calls, execution and planning time, rows and buffers per statement. Needs a server
 * with `shared_preload_libraries = 'pg_stat_statements'` (track = all also counts the
 * statements run inside functions and triggers; track_planning = on the planning time) and the
 * extension created in the database DATABASE_URL names; without them it says so and measures
 * nothing. Nested statements are counted inside their caller's time too.
 */
import type pg from 'pg';

interface Row {
  query: string;
  calls: number;
  exec: number;
  plan: number;
  rows: number;
  hit: number;
  read: number;
}

export type Snapshot = Map<string, Row>;

/** The statements so far (or undefined when pg_stat_statements is not there). */
export async function statementSnapshot(admin: pg.Client, db: string): Promise<Snapshot | undefined> {
  try {
    const r = await admin.query<Row & { key: string }>(
      `SELECT s.queryid::text || '/' || s.toplevel::text AS key, s.query, s.calls::float8 AS calls,
              s.total_exec_time AS exec, s.total_plan_time AS plan, s.rows::float8 AS rows,
              s.shared_blks_hit::float8 AS hit, s.shared_blks_read::float8 AS read
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
      [db],
    );
    return new Map(r.rows.map((x) => [x.key, x]));
  } catch {
    return undefined;
  }
}

/** The statements between two snapshots, per request, most expensive first (top level marked *). */
export function statementText(before: Snapshot | undefined, after: Snapshot | undefined, served: number): string {
  if (before === undefined || after === undefined || served === 0)
    return '  (pg_stat_statements is not available: nothing measured)\n';
  const lines: Array<{ cost: number; text: string }> = [];
  let top = 0;
  for (const [key, a] of after) {
    const b = before.get(key);
    const calls = a.calls - (b?.calls ?? 0);
    if (calls <= 0) continue;
    const exec = (a.exec - (b?.exec ?? 0)) / served;
    const plan = (a.plan - (b?.plan ?? 0)) / served;
    const toplevel = key.endsWith('/true');
    if (toplevel) top += exec + plan;
    const q = a.query.replace(/\s+/g, ' ').slice(0, 110);
    lines.push({
      cost: exec + plan,
      text: `  ${toplevel ? '*' : ' '} ${(calls / served).toFixed(2).padStart(6)} calls ${(exec * 1000).toFixed(0).padStart(5)} µs exec ${(plan * 1000).toFixed(0).padStart(4)} µs plan ${((a.rows - (b?.rows ?? 0)) / served).toFixed(1).padStart(5)} rows ${((a.hit - (b?.hit ?? 0)) / served).toFixed(0).padStart(4)} hit ${((a.read - (b?.read ?? 0)) / served).toFixed(1).padStart(4)} read  ${q}`,
    });
  }
  lines.sort((x, y) => y.cost - x.cost);
  return `  top-level statements ${(top * 1000).toFixed(0)} µs per request (exec + plan; * top level):\n${lines
    .slice(0, 25)
    .map((l) => `${l.text}\n`)
    .join('')}`;
}
