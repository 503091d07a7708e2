-- 003_api_support.sql — what the HTTP API (issue 4) needs beyond 001/002.
--   * live notifications: every new notification NOTIFYs channel dastern_notifications with
--     its id and owner only (never its text); each API process LISTENs and fans it out to the
--     owner's Server-Sent-Events streams, which fetch the row under the owner's RLS context.
--   * app_decline_invitation(code): the invited side is not yet a party of the pending row,
--     so RLS cannot let it decline; this SECURITY DEFINER function does, with the same checks
--     as app_accept_invitation.

CREATE OR REPLACE FUNCTION trg_notifications_notify() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('dastern_notifications', json_build_object('user_id', NEW.user_id, 'id', NEW.id)::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION trg_notifications_notify();

-- Decline an invitation by code as the acting user (app.user_id), who must have the role of
-- the invited side. The decliner becomes the row's other party (a declined row names both).
-- Errors (SQLSTATE P0001, message = stable code): invitation_not_found, invitation_expired,
-- invitation_wrong_role, invitation_self. Returns the relationship id.
CREATE OR REPLACE FUNCTION app_decline_invitation(p_code text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_role user_role;
  r doctor_patient_relationships%ROWTYPE;
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  SELECT u.role INTO v_role FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL;
  SELECT * INTO r FROM doctor_patient_relationships x
  WHERE x.invitation_code = upper(btrim(p_code)) AND x.status = 'pending'
  FOR UPDATE;
  IF NOT FOUND OR v_role IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  IF v_me = r.doctor_id AND r.initiated_by = 'doctor' OR v_me = r.patient_id AND r.initiated_by = 'patient' THEN
    RAISE EXCEPTION 'invitation_self';
  END IF;
  IF r.invitation_expires_at IS NOT NULL AND r.invitation_expires_at <= now() THEN
    RAISE EXCEPTION 'invitation_expired';
  END IF;
  IF r.initiated_by = 'doctor' THEN
    IF v_role <> 'patient' OR (r.patient_id IS NOT NULL AND r.patient_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.patient_id := v_me;
  ELSE
    IF v_role <> 'doctor' OR (r.doctor_id IS NOT NULL AND r.doctor_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.doctor_id := v_me;
  END IF;
  UPDATE doctor_patient_relationships x
     SET doctor_id = r.doctor_id, patient_id = r.patient_id, status = 'declined', end_reason = 'declined'
   WHERE x.id = r.id;
  RETURN r.id;
END
$$;

REVOKE ALL ON FUNCTION app_decline_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_decline_invitation(text) TO dastern_app;

/* migrate:down
REVOKE ALL ON FUNCTION app_decline_invitation(text) FROM dastern_app;
DROP FUNCTION IF EXISTS app_decline_invitation(text);
DROP TRIGGER IF EXISTS notifications_notify ON notifications;
DROP FUNCTION IF EXISTS trg_notifications_notify();
*/
