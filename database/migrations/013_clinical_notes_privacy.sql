-- 013_clinical_notes_privacy.sql — clinical notes restricted to the authoring doctor and the
-- patient, as the seed README says ("Clinical notes are restricted to the authoring doctor and
-- patient"), and the author's access ending with the relationship (issue 4: "Access ends the
-- moment the relationship stops being active"):
--  * admins no longer read or delete notes (001 let them; they never needed to: erasure
--    deletes the user row and the foreign keys cascade beneath RLS, and a private note is the
--    author's alone);
--  * the author reads, changes and deletes his notes only while he holds an active
--    relationship with the patient (any permission; writing still needs can_add_notes).
-- 'system' (maintenance, erasure) keeps full access.

DROP POLICY clinical_notes_select ON clinical_notes;
CREATE POLICY clinical_notes_select ON clinical_notes FOR SELECT USING (
    (doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
    OR (patient_id = (SELECT app_current_user_id()) AND NOT is_private)
    OR (SELECT app_is_system()));

DROP POLICY clinical_notes_update ON clinical_notes;
CREATE POLICY clinical_notes_update ON clinical_notes FOR UPDATE
    USING ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
           OR (SELECT app_is_system()))
    WITH CHECK ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('add_notes'))::uuid[]))
                OR (SELECT app_is_system()));

DROP POLICY clinical_notes_delete ON clinical_notes;
CREATE POLICY clinical_notes_delete ON clinical_notes FOR DELETE USING (
    (doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
    OR (SELECT app_is_system()));

/* migrate:down
DROP POLICY clinical_notes_select ON clinical_notes;
CREATE POLICY clinical_notes_select ON clinical_notes FOR SELECT USING (
    doctor_id = (SELECT app_current_user_id())
    OR (patient_id = (SELECT app_current_user_id()) AND NOT is_private)
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
DROP POLICY clinical_notes_update ON clinical_notes;
CREATE POLICY clinical_notes_update ON clinical_notes FOR UPDATE
    USING (doctor_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('add_notes'))::uuid[]))
                OR (SELECT app_is_system()));
DROP POLICY clinical_notes_delete ON clinical_notes;
CREATE POLICY clinical_notes_delete ON clinical_notes FOR DELETE USING (
    doctor_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
*/
