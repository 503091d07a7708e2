-- 014_worker_role.sql — 'system' only for the background jobs' own login; password hashes out
-- of the service's reach.
--
-- Until now any session could say set_config('app.user_role', 'system') and every policy let
-- it read and write everything: RLS protected against a missing WHERE, not against an
-- injection or a stolen credential of the API's login. Now:
--  * the background jobs (queue, reminder dispatcher, delivery, readings, maintenance, audit
--    sealing) log in as their own role, dastern_worker (NOLOGIN here; the application gives it
--    LOGIN and a password, like dastern_app). It holds dastern_app's privileges (membership).
--  * app_current_role() answers 'system' only when the session's LOGIN (session_user: neither
--    SET ROLE nor SECURITY DEFINER changes it) is dastern_worker, or a trusted operator (the
--    owner in psql, app_is_owner_session()). For the API's login 'system' is no role at all:
--    NULL, i.e. nothing visible, no privileged function.
--  * users.password_hash is not readable by the service's roles (column privileges: SELECT on
--    every other column). The hash is read only through SECURITY DEFINER functions:
--    app_auth_find_user (login, 001) and app_user_password_hash (the user herself or 'system').
--    A migration that adds a column to users must GRANT SELECT (column) TO dastern_app.
--  * mark_missed_doses(now, grace_minutes): one grace window for every reminder
--    (DASTERN_MISSED_GRACE_MINUTES); the one-argument form keeps each reminder's own.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_worker') THEN
    BEGIN
      CREATE ROLE dastern_worker NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created at the same instant by a concurrent migration of another database
    END;
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_worker' AND (rolsuper OR rolbypassrls)) THEN
    ALTER ROLE dastern_worker NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT pg_has_role('dastern_worker', 'dastern_app', 'MEMBER') THEN
    GRANT dastern_app TO dastern_worker;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION app_current_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN r IN ('patient', 'doctor', 'admin') THEN r
              WHEN r = 'system' AND (session_user = 'dastern_worker' OR public.app_is_owner_session()) THEN r END
  FROM (SELECT lower(btrim(coalesce(current_setting('app.user_role', true), ''))) AS r) AS x
$$;

-- password_hash: every column of users but that one.
REVOKE SELECT ON users FROM dastern_app;
DO $$
DECLARE
  cols text;
BEGIN
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute
  WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'password_hash';
  EXECUTE format('GRANT SELECT (%s) ON users TO dastern_app', cols);
END
$$;

-- The hash of the acting user herself (password change) or, for 'system', of anyone.
CREATE OR REPLACE FUNCTION app_user_password_hash(p_user_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT u.password_hash FROM users u
  WHERE u.id = p_user_id AND (p_user_id = app_current_user_id() OR app_is_system())
$$;
REVOKE ALL ON FUNCTION app_user_password_hash(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_password_hash(uuid) TO dastern_app;

-- Her profile for the data export (every column but the secrets), without naming the columns
-- (to_jsonb(users) needs SELECT on password_hash). The user herself only.
CREATE OR REPLACE FUNCTION app_user_export_profile(p_user_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT to_jsonb(u) - 'password_hash' - 'failed_login_count' - 'failed_login_window_start'
  FROM users u WHERE u.id = p_user_id AND p_user_id = app_current_user_id()
$$;
REVOKE ALL ON FUNCTION app_user_export_profile(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_export_profile(uuid) TO dastern_app;

CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz, p_grace_minutes integer) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l SET status = 'missed', action_at = NULL
    WHERE l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => greatest(p_grace_minutes, 1)) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
$$;
GRANT EXECUTE ON FUNCTION mark_missed_doses(timestamptz, integer) TO dastern_app;

/* migrate:down
-- The cluster-wide role dastern_worker stays (other databases may use it).
DROP FUNCTION IF EXISTS mark_missed_doses(timestamptz, integer);
DROP FUNCTION IF EXISTS app_user_password_hash(uuid);
DROP FUNCTION IF EXISTS app_user_export_profile(uuid);
REVOKE SELECT ON users FROM dastern_app;
GRANT SELECT ON users TO dastern_app;
CREATE OR REPLACE FUNCTION app_current_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN r IN ('patient', 'doctor', 'admin', 'system') THEN r END
  FROM (SELECT lower(btrim(coalesce(current_setting('app.user_role', true), ''))) AS r) AS x
$$;
*/
