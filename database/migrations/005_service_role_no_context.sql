-- 005_service_role_no_context.sql — "no context" means "the owner in psql" only, never the service.
--
-- Several checks let a transaction WITHOUT app.user_id / app.user_role through, meaning the owner
-- running SQL by hand (psql, `dastern audit verify`). But the service (login dastern_app) runs
-- login, refresh and password reset in exactly such a transaction, so without this migration it
-- could, with no one signed in, create an admin, verify or erase the audit trail, or read any
-- user's subscription and quota. Now the exemption needs app_is_direct_sql(): no context AND a
-- session whose LOGIN (session_user: SET ROLE and SECURITY DEFINER do not change it) is a
-- superuser or BYPASSRLS role that is not dastern_app nor a member of it. With no context the
-- service can only call the signed-out functions (app_auth_*, app_session_*); RLS shows it nothing.

-- Is the session's login a trusted operator rather than the service? pg_has_role() says yes for
-- every role when asked about a superuser, so membership of dastern_app is checked for others only.
CREATE OR REPLACE FUNCTION app_is_owner_session() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((
    SELECT r.rolname <> 'dastern_app'
       AND (r.rolsuper OR (r.rolbypassrls AND NOT pg_has_role(r.oid, 'dastern_app', 'MEMBER')))
    FROM pg_roles r
    WHERE r.rolname = session_user), false)
$$;

-- Direct SQL without any context by a trusted operator (the owner in psql, the CLI's owner
-- connection): the only case in which "no context" is privileged.
CREATE OR REPLACE FUNCTION app_is_direct_sql() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT app_current_user_id() IS NULL AND app_current_role() IS NULL AND app_is_owner_session()
$$;

-- May the caller act on p_user_id's account-level data (quota and subscription checks)?
-- Yes for the user herself, admins, 'system', a doctor with an active relationship, and
-- direct SQL by the owner without any context (never the service's login: see app_is_direct_sql).
CREATE OR REPLACE FUNCTION app_can_act_for(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT coalesce(app_is_direct_sql()
      OR app_current_user_id() = p_user_id
      OR app_is_system()
      OR app_is_admin()
      OR app_doctor_can(p_user_id, 'any'), false)
$$;

-- Checks the whole chain (unchanged but for who may run it: admins, 'system', and direct SQL
-- by the owner; the service without a context gets insufficient_privilege).
CREATE OR REPLACE FUNCTION app_audit_verify()
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  a audit_logs%ROWTYPE;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_count := v_count + 1;
    IF a.seq <> v_expected THEN
      RETURN QUERY SELECT false, v_count, v_expected, format('rows %s..%s are missing (deleted) or seq was edited', v_expected, a.seq - 1);
      RETURN;
    END IF;
    IF a.prev_hash <> v_prev THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'prev_hash does not match the previous row (a row was deleted, inserted or edited)';
      RETURN;
    END IF;
    IF a.redacted_at IS NULL THEN
      IF a.payload_hash <> app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent) THEN
        RETURN QUERY SELECT false, v_count, a.seq, 'payload (actor, subject, values, ip or user agent) was edited';
        RETURN;
      END IF;
    ELSIF a.actor_user_id IS NOT NULL OR a.subject_user_id IS NOT NULL OR a.old_values IS NOT NULL
          OR a.new_values IS NOT NULL OR a.ip_address IS NOT NULL OR a.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'a redacted row carries personal data again (edited)';
      RETURN;
    END IF;
    IF a.row_hash <> app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                        a.request_id, a.payload_hash, a.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'row content (time, role, action, table, resource) was edited';
      RETURN;
    END IF;
    v_prev := a.row_hash;
    v_expected := v_expected + 1;
  END LOOP;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  IF h.last_seq <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, v_expected, format('the chain head says %s rows; the last rows were deleted', h.last_seq);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text;
END
$$;

-- Erasure of a user's audit trail: the user herself, admins, 'system', and direct SQL by the owner.
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (coalesce(app_current_user_id() = p_user_id, false) OR app_is_admin() OR app_is_system()
          OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE audit_logs
     SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL,
         ip_address = NULL, user_agent = NULL, redacted_at = coalesce(redacted_at, now())
   WHERE actor_user_id = p_user_id OR subject_user_id = p_user_id
      OR (table_name = 'users' AND resource_id = p_user_id::text);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- Users: only 'system' (or the owner in direct SQL, never the service without context) makes
-- admins; admins change other roles; a user cannot re-activate or un-delete herself.
CREATE OR REPLACE FUNCTION trg_users_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_system() OR app_is_direct_sql();
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.role = 'admin' AND NOT v_privileged THEN
      RAISE EXCEPTION 'only the system may create an admin' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.password_changed_at := now();
  END IF;
  IF v_privileged THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role
     AND NOT (app_is_admin() AND NEW.role <> 'admin' AND OLD.role <> 'admin') THEN
    RAISE EXCEPTION 'role change not allowed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT app_is_admin() THEN
    IF NEW.is_active AND NOT OLD.is_active THEN
      RAISE EXCEPTION 'an account cannot re-activate itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
      RAISE EXCEPTION 'an erased account cannot be restored' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- Relationships: as before; the no-context bypass is for the owner's direct SQL only.
CREATE OR REPLACE FUNCTION trg_doctor_patient_relationships_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_privileged boolean := app_is_system() OR app_is_admin() OR app_is_direct_sql();
  v_doctor_side boolean;
BEGIN
  IF v_me IS NULL AND NOT v_privileged THEN
    RAISE EXCEPTION 'relationships change only for a signed-in party, an admin or the system' USING ERRCODE = 'insufficient_privilege';
  END IF;
  NEW.invitation_code := upper(btrim(NEW.invitation_code));
  IF NEW.doctor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.doctor_id AND role = 'doctor') THEN
    RAISE EXCEPTION 'doctor_id must reference a doctor' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id AND role = 'patient') THEN
    RAISE EXCEPTION 'patient_id must reference a patient' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (OLD.doctor_id IS NOT NULL AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id)
       OR (OLD.patient_id IS NOT NULL AND NEW.patient_id IS DISTINCT FROM OLD.patient_id)
       OR NEW.initiated_by IS DISTINCT FROM OLD.initiated_by THEN
      RAISE EXCEPTION 'the parties of a relationship cannot change' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT v_privileged THEN
      v_doctor_side := v_me = NEW.doctor_id;
      IF v_doctor_side THEN
        IF (NEW.can_view_prescriptions AND NOT OLD.can_view_prescriptions)
           OR (NEW.can_add_notes AND NOT OLD.can_add_notes)
           OR (NEW.can_modify_reminders AND NOT OLD.can_modify_reminders) THEN
          RAISE EXCEPTION 'only the patient grants permissions' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             NEW.status IN ('inactive', 'declined') AND OLD.status IN ('pending', 'active')
             OR (NEW.status = 'active' AND OLD.status = 'pending' AND OLD.initiated_by = 'patient')) THEN
          RAISE EXCEPTION 'status change not allowed for the doctor' USING ERRCODE = 'insufficient_privilege';
        END IF;
      ELSE
        IF NEW.status IS DISTINCT FROM OLD.status AND (
             (NEW.status = 'active' AND NOT (OLD.status = 'pending' AND OLD.initiated_by = 'doctor'))
             OR (NEW.status = 'pending')) THEN
          RAISE EXCEPTION 'status change not allowed' USING ERRCODE = 'insufficient_privilege';
        END IF;
      END IF;
    END IF;
    IF NEW.status = 'active' AND OLD.status <> 'active' AND NEW.accepted_at IS NULL THEN
      NEW.accepted_at := now();
    END IF;
    IF NEW.status IN ('inactive', 'blocked', 'declined') AND OLD.status IN ('pending', 'active') AND NEW.ended_at IS NULL THEN
      NEW.ended_at := now();
    END IF;
  ELSIF NOT v_privileged AND NEW.status <> 'pending' THEN
    RAISE EXCEPTION 'a relationship starts as a pending invitation' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status = 'active' AND NEW.accepted_at IS NULL THEN
    NEW.accepted_at := now();
  END IF;
  RETURN NEW;
END
$$;

GRANT EXECUTE ON FUNCTION app_is_owner_session(), app_is_direct_sql() TO dastern_app;

/* migrate:down
CREATE OR REPLACE FUNCTION app_can_act_for(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT (app_current_user_id() IS NULL AND app_current_role() IS NULL)
      OR app_current_user_id() = p_user_id
      OR app_is_system()
      OR app_is_admin()
      OR app_doctor_can(p_user_id, 'any')
$$;

CREATE OR REPLACE FUNCTION app_audit_verify()
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  a audit_logs%ROWTYPE;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR (app_current_user_id() IS NULL AND app_current_role() IS NULL)) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_count := v_count + 1;
    IF a.seq <> v_expected THEN
      RETURN QUERY SELECT false, v_count, v_expected, format('rows %s..%s are missing (deleted) or seq was edited', v_expected, a.seq - 1);
      RETURN;
    END IF;
    IF a.prev_hash <> v_prev THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'prev_hash does not match the previous row (a row was deleted, inserted or edited)';
      RETURN;
    END IF;
    IF a.redacted_at IS NULL THEN
      IF a.payload_hash <> app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent) THEN
        RETURN QUERY SELECT false, v_count, a.seq, 'payload (actor, subject, values, ip or user agent) was edited';
        RETURN;
      END IF;
    ELSIF a.actor_user_id IS NOT NULL OR a.subject_user_id IS NOT NULL OR a.old_values IS NOT NULL
          OR a.new_values IS NOT NULL OR a.ip_address IS NOT NULL OR a.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'a redacted row carries personal data again (edited)';
      RETURN;
    END IF;
    IF a.row_hash <> app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                        a.request_id, a.payload_hash, a.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'row content (time, role, action, table, resource) was edited';
      RETURN;
    END IF;
    v_prev := a.row_hash;
    v_expected := v_expected + 1;
  END LOOP;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  IF h.last_seq <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, v_expected, format('the chain head says %s rows; the last rows were deleted', h.last_seq);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text;
END
$$;

CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (app_current_user_id() = p_user_id OR app_is_admin() OR app_is_system()
          OR (app_current_user_id() IS NULL AND app_current_role() IS NULL)) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE audit_logs
     SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL,
         ip_address = NULL, user_agent = NULL, redacted_at = coalesce(redacted_at, now())
   WHERE actor_user_id = p_user_id OR subject_user_id = p_user_id
      OR (table_name = 'users' AND resource_id = p_user_id::text);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION trg_users_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_system() OR (app_current_user_id() IS NULL AND app_current_role() IS NULL);
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.role = 'admin' AND NOT v_privileged THEN
      RAISE EXCEPTION 'only the system may create an admin' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.password_changed_at := now();
  END IF;
  IF v_privileged THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role
     AND NOT (app_is_admin() AND NEW.role <> 'admin' AND OLD.role <> 'admin') THEN
    RAISE EXCEPTION 'role change not allowed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT app_is_admin() THEN
    IF NEW.is_active AND NOT OLD.is_active THEN
      RAISE EXCEPTION 'an account cannot re-activate itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
      RAISE EXCEPTION 'an erased account cannot be restored' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION trg_doctor_patient_relationships_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_privileged boolean := app_is_system() OR app_is_admin() OR (v_me IS NULL AND app_current_role() IS NULL);
  v_doctor_side boolean;
BEGIN
  NEW.invitation_code := upper(btrim(NEW.invitation_code));
  IF NEW.doctor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.doctor_id AND role = 'doctor') THEN
    RAISE EXCEPTION 'doctor_id must reference a doctor' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id AND role = 'patient') THEN
    RAISE EXCEPTION 'patient_id must reference a patient' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (OLD.doctor_id IS NOT NULL AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id)
       OR (OLD.patient_id IS NOT NULL AND NEW.patient_id IS DISTINCT FROM OLD.patient_id)
       OR NEW.initiated_by IS DISTINCT FROM OLD.initiated_by THEN
      RAISE EXCEPTION 'the parties of a relationship cannot change' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT v_privileged THEN
      v_doctor_side := v_me = NEW.doctor_id;
      IF v_doctor_side THEN
        IF (NEW.can_view_prescriptions AND NOT OLD.can_view_prescriptions)
           OR (NEW.can_add_notes AND NOT OLD.can_add_notes)
           OR (NEW.can_modify_reminders AND NOT OLD.can_modify_reminders) THEN
          RAISE EXCEPTION 'only the patient grants permissions' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             NEW.status IN ('inactive', 'declined') AND OLD.status IN ('pending', 'active')
             OR (NEW.status = 'active' AND OLD.status = 'pending' AND OLD.initiated_by = 'patient')) THEN
          RAISE EXCEPTION 'status change not allowed for the doctor' USING ERRCODE = 'insufficient_privilege';
        END IF;
      ELSE
        IF NEW.status IS DISTINCT FROM OLD.status AND (
             (NEW.status = 'active' AND NOT (OLD.status = 'pending' AND OLD.initiated_by = 'doctor'))
             OR (NEW.status = 'pending')) THEN
          RAISE EXCEPTION 'status change not allowed' USING ERRCODE = 'insufficient_privilege';
        END IF;
      END IF;
    END IF;
    IF NEW.status = 'active' AND OLD.status <> 'active' AND NEW.accepted_at IS NULL THEN
      NEW.accepted_at := now();
    END IF;
    IF NEW.status IN ('inactive', 'blocked', 'declined') AND OLD.status IN ('pending', 'active') AND NEW.ended_at IS NULL THEN
      NEW.ended_at := now();
    END IF;
  ELSIF NOT v_privileged AND NEW.status <> 'pending' THEN
    RAISE EXCEPTION 'a relationship starts as a pending invitation' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status = 'active' AND NEW.accepted_at IS NULL THEN
    NEW.accepted_at := now();
  END IF;
  RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION app_is_owner_session(), app_is_direct_sql() FROM dastern_app;
DROP FUNCTION IF EXISTS app_is_direct_sql();
DROP FUNCTION IF EXISTS app_is_owner_session();
*/
