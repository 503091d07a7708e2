/**
 * A catalog fingerprint of the `public` schema: everything that makes two schemas the same
 * for the application — columns, types, defaults, constraints, indexes, enums, functions
 * (bodies included), views, policies, RLS flags, triggers and grants.
 */
import pg from 'pg';

const PARTS: Record<string, string> = {
  columns: `
    SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','v','m','p')`,
  constraints: `
    SELECT rel.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = rel.relnamespace WHERE n.nspname = 'public'`,
  indexes: `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`,
  enums: `
    SELECT t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' GROUP BY t.typname`,
  functions: `
    SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || pg_get_function_result(p.oid)
           || ' secdef=' || p.prosecdef || ' vol=' || p.provolatile::text || ' cfg=' || coalesce(array_to_string(p.proconfig, ';'), '')
           || ' acl=' || coalesce(p.proacl::text, '') || ' body=' || md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
  views: `SELECT viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'public'`,
  view_options: `
    SELECT c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'v'`,
  policies: `
    SELECT tablename || ' ' || policyname || ' ' || permissive || ' ' || array_to_string(roles, ',') || ' ' || cmd
           || ' using=' || coalesce(qual, '') || ' check=' || coalesce(with_check, '')
    FROM pg_policies WHERE schemaname = 'public'`,
  rls: `
    SELECT c.relname || ' rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
  triggers: `
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
  grants: `
    SELECT c.relname || ' ' || coalesce(c.relacl::text, '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','v','S')`,
  extensions: `SELECT extname FROM pg_extension`,
};

export type Fingerprint = Record<string, string[]>;

export async function fingerprint(url: string): Promise<Fingerprint> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Fingerprint = {};
    for (const [part, sql] of Object.entries(PARTS)) {
      const res = await client.query<{ line: string }>(`SELECT x AS line FROM (${sql}) AS q(x) ORDER BY 1`);
      out[part] = res.rows.map((r) => r.line);
    }
    return out;
  } finally {
    await client.end();
  }
}
