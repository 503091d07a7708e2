-- 015_dose_states_own_medicines.sql — issue 10, items 4, 5 and 10.
--
-- Item 4: the life of a dose log, enforced in one place (the database):
--
--   (none) ──dispatcher──▶ pending ──▶ taken | skipped | snoozed | missed
--                          snoozed ──▶ taken | skipped | snoozed (again) | missed
--                          missed  ──▶ taken | skipped      (the patient tells us later)
--                          taken  ◀──▶ skipped              (a correction of the wrong button)
--   Nothing ever goes back to pending; taken, skipped and missed are never snoozed.
--   dose_log_refusal(from, to) names the refused transitions (NULL: allowed; the problem code
--   the API answers otherwise); trigger dose_log_state applies it to every UPDATE, whoever
--   writes (the service, the dispatcher, psql), and keeps only each state's own data: the
--   reason belongs to a skip, snoozed_until to a snooze, action_at to taken/skipped. The CHECK
--   constraints say the same for INSERTs.
--
-- Item 5 (the same photo twice) needs nothing here: idx_prescriptions_patient_id_image_sha256 (001).
--
-- Item 10: a patient's own medicines:
--   * medications.prescription_id may be NULL for a medicine added by hand (source 'manual');
--   * schedule_kind: 'slots' (morning/noon/evening/night, as printed), 'interval' (every
--     interval_hours from first_dose_time, interval_hours dividing 24: the same times every
--     day), 'as_needed' (PRN: no reminders; each intake in medication_prn_doses);
--     dose_amount/dose_unit: the dose of an 'interval' or 'as_needed' medicine;
--   * stopped_at/stop_reason: a medicine stopped by the patient (its reminders end, its dose
--     history stays);
--   * medication_prn_doses: the intakes of as-needed medicines (RLS like dose logs, audited).

-- ---------------------------------------------------------------- dose log states
CREATE OR REPLACE FUNCTION dose_log_refusal(p_from reminder_log_status, p_to reminder_log_status) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT CASE
    WHEN p_from IS NULL OR p_from = p_to THEN NULL
    WHEN p_to = 'pending' THEN 'dose_already_recorded'
    WHEN p_from IN ('pending', 'snoozed') THEN NULL
    WHEN p_from = 'taken' AND p_to = 'skipped' THEN NULL
    WHEN p_from = 'skipped' AND p_to = 'taken' THEN NULL
    WHEN p_from = 'missed' AND p_to IN ('taken', 'skipped') THEN NULL
    WHEN p_from = 'taken' THEN 'dose_already_taken'
    WHEN p_from = 'skipped' THEN 'dose_already_skipped'
    ELSE 'dose_already_missed'
  END
$$;

CREATE OR REPLACE FUNCTION trg_dose_log_state() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_refusal text := dose_log_refusal(OLD.status, NEW.status);
BEGIN
  IF v_refusal IS NOT NULL THEN
    RAISE EXCEPTION 'dose log %: % → % is not allowed', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'dose_log_state', HINT = v_refusal;
  END IF;
  IF NEW.status <> 'snoozed' THEN NEW.snoozed_until := NULL; END IF;
  IF NEW.status NOT IN ('taken', 'skipped') THEN NEW.action_at := NULL; END IF;
  IF NEW.status <> 'skipped' THEN NEW.reason := NULL; END IF;
  RETURN NEW;
END
$$;

-- stale data written before this migration (a reason kept on a dose later taken, …)
UPDATE medication_reminder_logs SET
    reason = CASE WHEN status = 'skipped' THEN reason END,
    snoozed_until = CASE WHEN status = 'snoozed' THEN snoozed_until END,
    action_at = CASE WHEN status IN ('taken', 'skipped') THEN action_at END
WHERE (reason IS NOT NULL AND status <> 'skipped') OR (snoozed_until IS NOT NULL AND status <> 'snoozed')
   OR (action_at IS NOT NULL AND status NOT IN ('taken', 'skipped'));

CREATE TRIGGER dose_log_state BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_dose_log_state();

ALTER TABLE medication_reminder_logs
    ADD CONSTRAINT medication_reminder_logs_reason_status_check CHECK (reason IS NULL OR status = 'skipped'),
    ADD CONSTRAINT medication_reminder_logs_snoozed_until_status_check CHECK (snoozed_until IS NULL OR status = 'snoozed'),
    ADD CONSTRAINT medication_reminder_logs_action_at_status_check CHECK (action_at IS NULL OR status IN ('taken', 'skipped'));

-- ---------------------------------------------------------------- a patient's own medicines
ALTER TABLE medications ALTER COLUMN prescription_id DROP NOT NULL;
ALTER TABLE medications
    ADD COLUMN source text NOT NULL DEFAULT 'prescription',
    ADD COLUMN schedule_kind text NOT NULL DEFAULT 'slots',
    ADD COLUMN interval_hours smallint,
    ADD COLUMN first_dose_time time,
    ADD COLUMN dose_amount numeric(6, 2),
    ADD COLUMN dose_unit text,
    ADD COLUMN stopped_at timestamptz,
    ADD COLUMN stop_reason text,
    ADD CONSTRAINT medications_source_check CHECK (source IN ('prescription', 'manual')
        AND (source = 'manual' OR prescription_id IS NOT NULL)),
    ADD CONSTRAINT medications_schedule_kind_check CHECK (schedule_kind IN ('slots', 'interval', 'as_needed')),
    ADD CONSTRAINT medications_interval_check CHECK (
        (schedule_kind = 'interval') = (interval_hours IS NOT NULL)
        AND (schedule_kind <> 'interval' OR first_dose_time IS NOT NULL)
        AND interval_hours IN (1, 2, 3, 4, 6, 8, 12)),
    ADD CONSTRAINT medications_dose_amount_check CHECK (CASE WHEN schedule_kind = 'slots' THEN dose_amount IS NULL
        ELSE coalesce(dose_amount > 0 AND dose_amount <= 100, false) END),
    ADD CONSTRAINT medications_dose_unit_check CHECK (btrim(dose_unit) <> '' AND length(dose_unit) <= 32),
    ADD CONSTRAINT medications_stop_check CHECK ((stopped_at IS NULL OR NOT is_active) AND length(stop_reason) <= 500);
COMMENT ON COLUMN medications.schedule_kind IS 'slots: doses per morning/noon/evening/night; interval: every interval_hours from first_dose_time (dose_amount each); as_needed: PRN, no reminders, intakes in medication_prn_doses';

CREATE TABLE medication_prn_doses (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    medication_id   uuid NOT NULL,
    patient_id      uuid NOT NULL,
    taken_at        timestamptz NOT NULL,
    dose_amount     numeric(6, 2) NOT NULL,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT medication_prn_doses_medication_fkey FOREIGN KEY (medication_id, patient_id)
        REFERENCES medications (id, patient_id) ON DELETE CASCADE,
    CONSTRAINT medication_prn_doses_dose_amount_check CHECK (dose_amount > 0 AND dose_amount <= 100),
    CONSTRAINT medication_prn_doses_note_check CHECK (length(note) <= 1000)
);
COMMENT ON TABLE medication_prn_doses IS 'Intakes of as-needed (PRN) medicines, logged on demand; counted apart from scheduled adherence.';
CREATE INDEX idx_medication_prn_doses_patient_id_taken_at ON medication_prn_doses (patient_id, taken_at DESC);
CREATE INDEX idx_medication_prn_doses_medication_id_taken_at ON medication_prn_doses (medication_id, taken_at DESC);

CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON medication_prn_doses FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id');

ALTER TABLE medication_prn_doses ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_prn_doses FORCE ROW LEVEL SECURITY;
-- like dose logs: the patient writes; her doctors (can_view_prescriptions) and admins read; 'system'
CREATE POLICY medication_prn_doses_select ON medication_prn_doses FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_prn_doses_write ON medication_prn_doses FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

GRANT SELECT, INSERT, UPDATE, DELETE ON medication_prn_doses TO dastern_app;

/* migrate:down
DROP TABLE IF EXISTS medication_prn_doses;
ALTER TABLE medications
    DROP CONSTRAINT medications_stop_check,
    DROP CONSTRAINT medications_dose_unit_check,
    DROP CONSTRAINT medications_dose_amount_check,
    DROP CONSTRAINT medications_interval_check,
    DROP CONSTRAINT medications_schedule_kind_check,
    DROP CONSTRAINT medications_source_check,
    DROP COLUMN stop_reason,
    DROP COLUMN stopped_at,
    DROP COLUMN dose_unit,
    DROP COLUMN dose_amount,
    DROP COLUMN first_dose_time,
    DROP COLUMN interval_hours,
    DROP COLUMN schedule_kind,
    DROP COLUMN source;
DELETE FROM medications WHERE prescription_id IS NULL;
ALTER TABLE medications ALTER COLUMN prescription_id SET NOT NULL;
ALTER TABLE medication_reminder_logs
    DROP CONSTRAINT medication_reminder_logs_action_at_status_check,
    DROP CONSTRAINT medication_reminder_logs_snoozed_until_status_check,
    DROP CONSTRAINT medication_reminder_logs_reason_status_check;
DROP TRIGGER IF EXISTS dose_log_state ON medication_reminder_logs;
DROP FUNCTION IF EXISTS trg_dose_log_state();
DROP FUNCTION IF EXISTS dose_log_refusal(reminder_log_status, reminder_log_status);
*/
