-- 008_prescription_list_covering.sql — the prescription list without heap visits.
--
-- bench/db.bench.ts (1M prescriptions, 2.5M medications): the seed README's "prescriptions with
-- medications" query for a patient not read recently took 2.9 ms (median): her ~10 prescriptions
-- and ~25 medications sit on ~20 different heap pages (written months apart), 26 of the ~58
-- pages it touched came from outside shared buffers. With covering indexes the query — and its
-- row level security filters (patient_id, deleted_at) — is answered by index-only scans: 9 pages
-- from outside, 0.6 ms (warm: 0.63 → 0.50 ms).
--  * idx_prescriptions_patient_id_created_at keeps its key and INCLUDEs what the list shows;
--  * idx_medications_prescription_id: the medications of a prescription with name and strength.
-- An index entry must stay under ~2.7 kB: the two included free-text columns get a length limit
-- far above what the API accepts (pharmacy_name ≤ 200, strength ≤ 50 characters there).
-- Cost: about +50 MB (prescriptions) and +170 MB (medications) of index at that scale.

ALTER TABLE prescriptions ADD CONSTRAINT prescriptions_pharmacy_name_check CHECK (length(pharmacy_name) <= 500);
ALTER TABLE medications ADD CONSTRAINT medications_strength_check CHECK (length(strength) <= 100);

DROP INDEX idx_prescriptions_patient_id_created_at;
CREATE INDEX idx_prescriptions_patient_id_created_at ON prescriptions (patient_id, created_at DESC)
    INCLUDE (id, prescription_date, pharmacy_name, status, deleted_at);
CREATE INDEX idx_medications_prescription_id ON medications (prescription_id) INCLUDE (name, strength, patient_id);

/* migrate:down
DROP INDEX IF EXISTS idx_medications_prescription_id;
DROP INDEX IF EXISTS idx_prescriptions_patient_id_created_at;
CREATE INDEX idx_prescriptions_patient_id_created_at ON prescriptions (patient_id, created_at DESC);
ALTER TABLE medications DROP CONSTRAINT IF EXISTS medications_strength_check;
ALTER TABLE prescriptions DROP CONSTRAINT IF EXISTS prescriptions_pharmacy_name_check;
*/
