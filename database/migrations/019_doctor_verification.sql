-- 019_doctor_verification.sql — doctors are verified by an admin before they can pass for one
-- (issue 16, item 3).
--  * users.doctor_verified_at: set by an admin (POST /admin/doctors/:id/verify) after checking
--    the licence; NULL for a new doctor. Only admins, 'system' and the owner's direct SQL may set
--    or clear it; a verified doctor who changes his licence number is unverified again.
--  * A licence number belongs to the verified account: the unique index covers verified doctors
--    only, so an unverified account cannot lock a real doctor out by taking his number first;
--    verifying one doctor clears the number from unverified accounts claiming it (the service).
--  * app_find_invitation also says whether the inviter is a verified doctor (the preview).
ALTER TABLE users ADD COLUMN doctor_verified_at timestamptz;
COMMENT ON COLUMN users.doctor_verified_at IS 'when an admin verified this doctor''s licence (NULL: not verified; he cannot invite patients)';
DROP INDEX idx_users_license_number;
CREATE UNIQUE INDEX idx_users_license_number_verified ON users (license_number)
    WHERE license_number IS NOT NULL AND doctor_verified_at IS NOT NULL;
CREATE INDEX idx_users_license_number ON users (license_number) WHERE license_number IS NOT NULL;

CREATE FUNCTION trg_users_doctor_verification() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_admin() OR app_is_system() OR app_is_direct_sql();
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.doctor_verified_at IS NOT NULL AND NOT v_privileged THEN
      RAISE EXCEPTION 'only an admin verifies a doctor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.doctor_verified_at IS DISTINCT FROM OLD.doctor_verified_at AND NOT v_privileged THEN
    RAISE EXCEPTION 'only an admin verifies a doctor' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.license_number IS DISTINCT FROM OLD.license_number AND OLD.doctor_verified_at IS NOT NULL
     AND NEW.doctor_verified_at IS NOT DISTINCT FROM OLD.doctor_verified_at THEN
    NEW.doctor_verified_at := NULL;  -- a new licence number is checked again
  END IF;
  IF NEW.role <> 'doctor' THEN
    NEW.doctor_verified_at := NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_doctor_verification BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION trg_users_doctor_verification();

DROP FUNCTION app_find_invitation(text);
CREATE FUNCTION app_find_invitation(p_code text)
RETURNS TABLE (id uuid, doctor_id uuid, patient_id uuid, initiated_by user_role, status relationship_status,
               invitation_expires_at timestamptz, is_expired boolean,
               can_view_prescriptions boolean, can_add_notes boolean, can_modify_reminders boolean,
               inviter_id uuid, inviter_first_name text, inviter_last_name text, inviter_role user_role,
               inviter_specialization text, inviter_hospital_name text, created_at timestamptz,
               inviter_verified boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.doctor_id, r.patient_id, r.initiated_by, r.status, r.invitation_expires_at,
         coalesce(r.invitation_expires_at <= now(), false),
         r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders,
         i.id, i.first_name, i.last_name, i.role, i.specialization, i.hospital_name, r.created_at,
         CASE WHEN i.role = 'doctor' THEN i.doctor_verified_at IS NOT NULL END
  FROM doctor_patient_relationships r
  JOIN users i ON i.id = CASE WHEN r.initiated_by = 'patient' THEN r.patient_id ELSE r.doctor_id END
  WHERE app_current_user_id() IS NOT NULL
    AND r.invitation_code = upper(btrim(p_code))
    AND r.status = 'pending'
$$;
REVOKE ALL ON FUNCTION app_find_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_find_invitation(text) TO dastern_app;

/* migrate:down
DROP FUNCTION app_find_invitation(text);
CREATE FUNCTION app_find_invitation(p_code text)
RETURNS TABLE (id uuid, doctor_id uuid, patient_id uuid, initiated_by user_role, status relationship_status,
               invitation_expires_at timestamptz, is_expired boolean,
               can_view_prescriptions boolean, can_add_notes boolean, can_modify_reminders boolean,
               inviter_id uuid, inviter_first_name text, inviter_last_name text, inviter_role user_role,
               inviter_specialization text, inviter_hospital_name text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.doctor_id, r.patient_id, r.initiated_by, r.status, r.invitation_expires_at,
         coalesce(r.invitation_expires_at <= now(), false),
         r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders,
         i.id, i.first_name, i.last_name, i.role, i.specialization, i.hospital_name, r.created_at
  FROM doctor_patient_relationships r
  JOIN users i ON i.id = CASE WHEN r.initiated_by = 'patient' THEN r.patient_id ELSE r.doctor_id END
  WHERE app_current_user_id() IS NOT NULL
    AND r.invitation_code = upper(btrim(p_code))
    AND r.status = 'pending'
$$;
REVOKE ALL ON FUNCTION app_find_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_find_invitation(text) TO dastern_app;
DROP TRIGGER users_doctor_verification ON users;
DROP FUNCTION trg_users_doctor_verification();
DROP INDEX idx_users_license_number;
DROP INDEX idx_users_license_number_verified;
CREATE UNIQUE INDEX idx_users_license_number ON users (license_number) WHERE license_number IS NOT NULL;
ALTER TABLE users DROP COLUMN doctor_verified_at;
*/
