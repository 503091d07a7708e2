-- 039_inlined_current_user.sql — app_current_user_id() inlined by the planner: the same value,
-- the same guarantees, a fraction of the work.
--
-- Every RLS policy of the service's tables reads the acting user as (SELECT app_current_user_id()),
-- once per statement; a read of a patient's prescription list calls it five times (the session
-- check twice, the list twice, the audit row's WITH CHECK once). As a SQL function with a
-- `SET search_path` clause it could not be inlined: each call switched search_path in and out
-- and parsed and planned its body again (PostgreSQL keeps no plan of a SQL function's body
-- between calls) — about a sixth of the database's CPU per list read.
--
-- Now its body is one expression with every name schema-qualified (pg_catalog's functions,
-- operator and type), so no search_path can change what it means, and without the SET clause
-- the planner inlines it into the policy's InitPlan. Same result for every input: the trimmed
-- app.user_id as uuid when it is a canonical uuid (any case), NULL when unset, empty or
-- anything else; never an error.
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_catalog.btrim(pg_catalog.current_setting('app.user_id', true))
                   OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN pg_catalog.btrim(pg_catalog.current_setting('app.user_id', true))::pg_catalog.uuid END
$$;

/* migrate:down
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
  FROM (SELECT nullif(btrim(current_setting('app.user_id', true)), '') AS s) AS x
$$;
*/
