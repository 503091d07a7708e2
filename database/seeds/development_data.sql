-- =============================================================================
-- DasTern V2 — development data (Cambodian demo)
--
--   psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/seeds/development_data.sql
--
-- Load after database/schema.sql, before or after database/functions/user_functions.sql
-- (it calls none of those functions). For an empty database only: fixed ids.
-- Dates are relative to "today" in Phnom Penh, so reminders and dose logs are always current.
--
-- Demo logins (all with the password  DasTern!2026 , bcrypt cost 12): see database/README.md.
--   admin@dastern.dev                              admin
--   dr.vannak@calmette.dastern.dev                 doctor (Calmette Hospital)
--   dr.sophea@ksfh.dastern.dev                     doctor (Khmer-Soviet Friendship Hospital)
--   dr.rithy@kossamak.dastern.dev                  doctor (Preah Kossamak Hospital)
--   dara.sok@example.com                           patient, premium (monthly)
--   sreymom.chhay@example.com                      patient, free
--   bopha.ouk@example.com                          patient, free, at the 10-prescription limit
--   sovann.pich@example.com                        patient, premium expired
--   sreyneang.mao@example.com                      patient, new (no data yet)
-- =============================================================================

SET client_min_messages = warning;
-- Phnom Penh's calendar for CURRENT_DATE; 'system' so that a non-superuser owner passes RLS.
SET TimeZone = 'Asia/Phnom_Penh';
DO $$ BEGIN PERFORM set_config('app.user_role', 'system', false); PERFORM set_config('app.user_id', '', false); END $$;

-- ---------------------------------------------------------------- users
INSERT INTO users (id, email, password_hash, role, first_name, last_name, phone, language, timezone,
                   date_of_birth, gender, medical_conditions, allergies,
                   emergency_contact_name, emergency_contact_phone, emergency_contact_relationship,
                   license_number, specialization, hospital_name,
                   email_verified_at, last_login_at, created_at)
VALUES
  ('10000000-0000-4000-8000-000000000001', 'admin@dastern.dev',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'admin', 'Sokha', 'Chan', '+85512000001', 'en', 'Asia/Phnom_Penh',
   NULL, NULL, '{}', '{}', NULL, NULL, NULL, NULL, NULL, NULL,
   now() - interval '200 days', now() - interval '1 day', now() - interval '200 days'),
  ('20000000-0000-4000-8000-000000000001', 'dr.vannak@calmette.dastern.dev',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'doctor', 'Vannak', 'Heng', '+85512345601', 'km', 'Asia/Phnom_Penh',
   '1978-04-12', 'male', '{}', '{}', NULL, NULL, NULL,
   'KH-MED-2006-0457', 'Internal medicine', 'Calmette Hospital (មន្ទីរពេទ្យកាល់ម៉ែត)',
   now() - interval '180 days', now() - interval '2 hours', now() - interval '180 days'),
  ('20000000-0000-4000-8000-000000000002', 'dr.sophea@ksfh.dastern.dev',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'doctor', 'Sophea', 'Lim', '+85517345602', 'fr', 'Asia/Phnom_Penh',
   '1984-09-30', 'female', '{}', '{}', NULL, NULL, NULL,
   'KH-MED-2011-1123', 'Endocrinology', 'Khmer-Soviet Friendship Hospital (មន្ទីរពេទ្យមិត្តភាពខ្មែរ-សូវៀត)',
   now() - interval '150 days', now() - interval '3 days', now() - interval '150 days'),
  ('20000000-0000-4000-8000-000000000003', 'dr.rithy@kossamak.dastern.dev',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'doctor', 'Rithy', 'Keo', '+85589345603', 'en', 'Asia/Phnom_Penh',
   '1980-01-05', 'male', '{}', '{}', NULL, NULL, NULL,
   'KH-MED-2008-0781', 'Cardiology', 'Preah Kossamak Hospital (មន្ទីរពេទ្យព្រះកុសុមៈ)',
   now() - interval '120 days', now() - interval '5 days', now() - interval '120 days'),
  ('30000000-0000-4000-8000-000000000001', 'dara.sok@example.com',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'patient', 'Dara', 'Sok', '+85512987601', 'km', 'Asia/Phnom_Penh',
   '1962-03-18', 'male', '{"Type 2 diabetes","Hypertension"}', '{"Penicillin"}',
   'Sok Chantha', '+85512987611', 'daughter', NULL, NULL, NULL,
   now() - interval '90 days', now() - interval '1 hour', now() - interval '90 days'),
  ('30000000-0000-4000-8000-000000000002', 'sreymom.chhay@example.com',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'patient', 'Sreymom', 'Chhay', '+85516987602', 'km', 'Asia/Phnom_Penh',
   '1995-11-02', 'female', '{"Gastritis"}', '{}',
   'Chhay Rotha', '+85516987612', 'husband', NULL, NULL, NULL,
   now() - interval '60 days', now() - interval '6 hours', now() - interval '60 days'),
  ('30000000-0000-4000-8000-000000000003', 'bopha.ouk@example.com',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'patient', 'Bopha', 'Ouk', '+85592987603', 'en', 'Asia/Phnom_Penh',
   '1971-07-21', 'female', '{"Asthma"}', '{"Aspirin"}',
   NULL, NULL, NULL, NULL, NULL, NULL,
   now() - interval '500 days', now() - interval '10 days', now() - interval '520 days'),
  ('30000000-0000-4000-8000-000000000004', 'sovann.pich@example.com',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'patient', 'Sovann', 'Pich', '+85577987604', 'en', 'Asia/Phnom_Penh',
   '1958-12-09', 'male', '{"Hypertension"}', '{}',
   'Pich Sreyleak', '+85577987614', 'wife', NULL, NULL, NULL,
   now() - interval '420 days', now() - interval '40 days', now() - interval '420 days'),
  ('30000000-0000-4000-8000-000000000005', 'sreyneang.mao@example.com',
   '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC', 'patient', 'ស្រីនាង', 'ម៉ៅ', '+85510987605', 'fr', 'Asia/Phnom_Penh',
   '2001-06-14', 'female', '{}', '{}', NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, now() - interval '2 days');

-- ---------------------------------------------------------------- sessions
-- refresh tokens are 'demo-refresh-<n>' (stored as their SHA-256)
INSERT INTO user_sessions (id, user_id, refresh_token_hash, device_info, ip_address, user_agent, expires_at, last_used_at,
                           revoked_at, revoke_reason, created_at)
VALUES
  ('d0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   encode(digest('demo-refresh-1', 'sha256'), 'hex'), '{"platform": "android", "model": "Samsung Galaxy A14"}',
   '203.144.75.10', 'DasTern/2.0 (Android 14)', now() + interval '29 days', now() - interval '1 hour', NULL, NULL, now() - interval '1 day'),
  ('d0000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001',
   encode(digest('demo-refresh-2', 'sha256'), 'hex'), '{"platform": "web", "browser": "Chrome"}',
   '203.144.75.11', 'Mozilla/5.0 (Windows NT 10.0) Chrome/130', now() + interval '10 days', now() - interval '12 days',
   now() - interval '10 days', 'logout', now() - interval '20 days'),
  ('d0000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000002',
   encode(digest('demo-refresh-3', 'sha256'), 'hex'), '{"platform": "ios", "model": "iPhone 12"}',
   '36.37.160.20', 'DasTern/2.0 (iOS 17)', now() - interval '1 day', now() - interval '31 days', NULL, NULL, now() - interval '31 days'),
  ('d0000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000001',
   encode(digest('demo-refresh-4', 'sha256'), 'hex'), '{"platform": "web", "browser": "Firefox"}',
   '103.216.51.7', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132', now() + interval '25 days', now() - interval '2 hours', NULL, NULL, now() - interval '5 days');
-- Dara's phone session was rotated once: 'demo-refresh-1-old' is a dead token (its reuse revokes the session)
UPDATE user_sessions SET rotation_count = 1, rotated_at = now() - interval '1 hour'
 WHERE id = 'd0000000-0000-4000-8000-000000000001';
INSERT INTO user_session_rotated_tokens (token_hash, session_id, user_id, rotated_at)
VALUES (encode(digest('demo-refresh-1-old', 'sha256'), 'hex'), 'd0000000-0000-4000-8000-000000000001',
        '30000000-0000-4000-8000-000000000001', now() - interval '1 hour');

-- ---------------------------------------------------------------- subscriptions and payments
INSERT INTO user_subscriptions (id, user_id, plan_id, status, current_period_start, current_period_end,
                                cancel_at_period_end, canceled_at, provider, provider_customer_ref, provider_subscription_ref, created_at)
VALUES
  -- Dara: premium monthly, current
  ('90000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002',
   'active', now() - interval '10 days', now() + interval '20 days', false, NULL, 'aba_payway', 'ABA-CUST-1001', 'ABA-SUB-1001', now() - interval '70 days'),
  -- Sreymom: the free plan, explicitly
  ('90000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
   'active', now() - interval '60 days', now() + interval '305 days', false, NULL, NULL, NULL, NULL, now() - interval '60 days'),
  -- Sovann: premium yearly, expired 35 days ago (not premium any more)
  ('90000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000003',
   'expired', now() - interval '400 days', now() - interval '35 days', false, NULL, 'wing', 'WING-CUST-2001', 'WING-SUB-2001', now() - interval '400 days');

INSERT INTO payment_transactions (id, user_id, subscription_id, plan_id, amount, currency, status, provider, provider_reference,
                                  payment_method, description, failure_reason, paid_at, refunded_at, refund_amount, created_at)
VALUES
  ('a0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
   '00000000-0000-4000-8000-000000000002', 0.50, 'USD', 'failed', 'aba_payway', 'ABA-TX-000100', 'aba_khqr',
   'Premium (monthly)', 'insufficient funds', NULL, NULL, NULL, now() - interval '41 days'),
  ('a0000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
   '00000000-0000-4000-8000-000000000002', 0.50, 'USD', 'completed', 'aba_payway', 'ABA-TX-000101', 'aba_khqr',
   'Premium (monthly)', NULL, now() - interval '40 days', NULL, NULL, now() - interval '40 days'),
  ('a0000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
   '00000000-0000-4000-8000-000000000002', 0.50, 'USD', 'completed', 'aba_payway', 'ABA-TX-000102', 'aba_khqr',
   'Premium (monthly)', NULL, now() - interval '10 days', NULL, NULL, now() - interval '10 days'),
  ('a0000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000004', '90000000-0000-4000-8000-000000000003',
   '00000000-0000-4000-8000-000000000003', 5.00, 'USD', 'completed', 'wing', 'WING-TX-7001', 'wing_wallet',
   'Premium (yearly)', NULL, now() - interval '400 days', NULL, NULL, now() - interval '400 days'),
  ('a0000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000004', '90000000-0000-4000-8000-000000000003',
   '00000000-0000-4000-8000-000000000003', 5.00, 'USD', 'refunded', 'wing', 'WING-TX-7002', 'wing_wallet',
   'Premium (yearly) — duplicate charge', NULL, now() - interval '399 days', now() - interval '398 days', 5.00, now() - interval '399 days'),
  ('a0000000-0000-4000-8000-000000000006', '30000000-0000-4000-8000-000000000004', NULL,
   '00000000-0000-4000-8000-000000000002', 0.50, 'USD', 'pending', 'aba_payway', 'ABA-TX-000150', 'aba_khqr',
   'Premium (monthly) — renewal attempt', NULL, NULL, NULL, NULL, now() - interval '1 day');

-- The demo doctors' licences are verified (migration 019; skipped on a schema without it).
DO $seed$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'doctor_verified_at') THEN
    EXECUTE $u$UPDATE users SET doctor_verified_at = created_at + interval '1 day'
                WHERE id IN ('20000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000003')$u$;
  END IF;
END
$seed$;

-- ---------------------------------------------------------------- doctor ↔ patient
INSERT INTO doctor_patient_relationships (id, doctor_id, patient_id, status, initiated_by, invitation_code, invitation_expires_at,
                                          accepted_at, ended_at, end_reason,
                                          can_view_prescriptions, can_add_notes, can_modify_reminders, created_at)
VALUES
  -- Dara ↔ Dr Vannak (Calmette): active, every permission
  ('70000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   'active', 'doctor', NULL, NULL, now() - interval '60 days', NULL, NULL, true, true, true, now() - interval '61 days'),
  -- Dara ↔ Dr Sophea (Khmer-Soviet): active, may view but not write notes nor change reminders
  ('70000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001',
   'active', 'patient', NULL, NULL, now() - interval '30 days', NULL, NULL, true, false, false, now() - interval '31 days'),
  -- Sreymom ← Dr Rithy (Kossamak): pending invitation, code KHMR4PHN7X, expires in 5 days
  ('70000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000002',
   'pending', 'doctor', 'KHMR4PHN7X', now() + interval '5 days', NULL, NULL, NULL, true, true, false, now() - interval '2 days'),
  -- Bopha ↔ Dr Vannak: ended (inactive)
  ('70000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000003',
   'inactive', 'patient', NULL, NULL, now() - interval '300 days', now() - interval '100 days', 'Treatment finished',
   true, true, false, now() - interval '301 days'),
  -- Sovann ↔ Dr Rithy: blocked by the patient
  ('70000000-0000-4000-8000-000000000005', '20000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000004',
   'blocked', 'doctor', NULL, NULL, now() - interval '200 days', now() - interval '50 days', 'Blocked by the patient',
   true, true, false, now() - interval '201 days'),
  -- Dr Sophea: open invitation code for a patient not yet known (handed out at the clinic)
  ('70000000-0000-4000-8000-000000000006', '20000000-0000-4000-8000-000000000002', NULL,
   'pending', 'doctor', 'SRPT8WQ3KD', now() + interval '7 days', NULL, NULL, NULL, true, true, false, now() - interval '1 hour'),
  -- Sreymom declined Dr Sophea
  ('70000000-0000-4000-8000-000000000007', '20000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000002',
   'declined', 'doctor', NULL, NULL, NULL, now() - interval '20 days', 'Declined by the patient',
   true, true, false, now() - interval '21 days');

-- ---------------------------------------------------------------- prescriptions
-- The demo prescriptions come without photos (image_path NULL): photos live in each install's
-- encrypted file store, which a seed cannot fill; the image routes answer 404 for them.
INSERT INTO prescriptions (id, patient_id, uploaded_by, image_path, image_mime_type, image_size_bytes, image_sha256, thumbnail_path,
                           image_metadata, ocr_raw_text, structured_data, ocr_confidence, ocr_engine, detected_language,
                           processing_time_ms, hospital_name, prescription_number, patient_name_as_written,
                           patient_age_as_written, patient_gender_as_written, diagnosis, department,
                           prescribing_doctor_name, prescription_date, pharmacy_name, status, error_message,
                           processing_attempts, processed_at, confirmed_at, created_at)
VALUES
  -- Dara: diabetes + hypertension, confirmed 20 days ago, reminders running
  ('40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   NULL, 'image/jpeg', 1843200, repeat('a1', 32), NULL,
   '{"width": 3024, "height": 4032, "orientation": 1}',
   E'មន្ទីរពេទ្យកាល់ម៉ែត CALMETTE HOSPITAL\nវេជ្ជបញ្ជា / ORDONNANCE N° CAL-2026-004512\nឈ្មោះ: SOK DARA  អាយុ: 63  ភេទ: ប្រុស\nរោគវិនិច្ឆ័យ: Type 2 diabetes; Hypertension\n1. Metformin 500mg  1 - 0 - 1 - 0  x30 days (60 tab)\n2. Amlodipine 5mg  1 - 0 - 0 - 0  x30 days (30 tab)\nDr. Heng Vannak',
   '{"source": "reader", "version": 1}', 0.912, 'tesseract-5', 'km+en', 2310,
   'Calmette Hospital', 'CAL-2026-004512', 'SOK DARA', 63, 'male', '{"Type 2 diabetes","Hypertension"}', 'Internal medicine',
   'Dr. Heng Vannak', CURRENT_DATE - 21, 'Pharmacie de la Gare', 'completed', NULL, 1,
   now() - interval '21 days', now() - interval '20 days', now() - interval '21 days'),
  -- Dara: a draft awaiting review
  ('40000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   NULL, 'image/jpeg', 1523000, repeat('b2', 32), NULL,
   '{"width": 3024, "height": 4032, "orientation": 6}',
   E'មន្ទីរពេទ្យមិត្តភាពខ្មែរ-សូវៀត KHMER-SOVIET FRIENDSHIP HOSPITAL\nN° HAKF1354164\nSOK DARA 63 M\n1. Omeprazole 20mg 1-0-0-0 x14',
   -- the draft the review screen opens: what the reader found in the text above (a low-confidence duration to check)
   '{"source": "reader", "version": 1, "medications": [{"name": "Omeprazole", "strength": "20mg", "form": "capsule", "quantity": 14, "quantity_unit": "capsule", "dosage_schedule": {"morning": 1, "noon": 0, "evening": 0, "night": 0}, "duration_days": 14, "take_before_meal": true, "confidence": 0.78, "field_confidence": {"name": 0.93, "strength": 0.88, "dosage_schedule": 0.81, "duration_days": 0.62}}]}', 0.784, 'tesseract-5', 'km+en', 2875,
   'Khmer-Soviet Friendship Hospital', 'HAKF1354164', 'SOK DARA', 63, 'male', '{"Gastritis"}', 'Gastroenterology',
   'Dr. Lim Sophea', CURRENT_DATE - 1, 'Pharmacie Khmer-Soviet', 'ocr_completed', NULL, 1,
   now() - interval '1 day', NULL, now() - interval '1 day'),
  -- Sreymom: infection, confirmed 10 days ago
  ('40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000002',
   NULL, 'image/jpeg', 1320000, repeat('d4', 32), NULL,
   '{"width": 2448, "height": 3264, "orientation": 1}',
   E'មន្ទីរពេទ្យព្រះកុសុមៈ PREAH KOSSAMAK HOSPITAL\nN° PKH-2026-11873\nCHHAY SREYMOM 30 F\nDx: Acute pharyngitis; Gastritis\n1. Amoxicillin 500mg 1-1-1-0 x7\n2. Paracetamol 500mg 1-1-1-1 x5\n3. Omeprazole 20mg 1-0-0-0 x14',
   '{"source": "reader", "version": 1}', 0.887, 'tesseract-5', 'km+en', 1990,
   'Preah Kossamak Hospital', 'PKH-2026-11873', 'CHHAY SREYMOM', 30, 'female', '{"Acute pharyngitis","Gastritis"}', 'ENT',
   'Dr. Keo Rithy', CURRENT_DATE - 10, 'U-Care Pharmacy Toul Kork', 'completed', NULL, 1,
   now() - interval '10 days', now() - interval '10 days', now() - interval '10 days'),
  -- Sreymom: a photo the reader could not read
  ('40000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000002',
   NULL, 'image/jpeg', 402000, repeat('e5', 32), NULL, '{"width": 640, "height": 480}',
   NULL, NULL, 0.120, 'tesseract-5', NULL, 1500, NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL, NULL, NULL,
   'error', 'The photo is too blurry to read. Please take it again in good light.', 3,
   now() - interval '3 days', NULL, now() - interval '3 days'),
  -- Sovann: hypertension, confirmed 40 days ago, weekday reminders
  ('40000000-0000-4000-8000-000000000006', '30000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000004',
   NULL, 'image/jpeg', 1750000, repeat('f6', 32), NULL, '{}',
   E'PREAH KOSSAMAK HOSPITAL N° PKH-2025-09911 PICH SOVANN 67 M\nAmlodipine 5mg 1-0-0-0 x90', NULL, 0.901, 'tesseract-5', 'en',
   2100, 'Preah Kossamak Hospital', 'PKH-2025-09911', 'PICH SOVANN', 67, 'male', '{"Hypertension"}', 'Cardiology',
   'Dr. Keo Rithy', CURRENT_DATE - 40, 'Pharmacie Centrale', 'completed', NULL, 1,
   now() - interval '40 days', now() - interval '40 days', now() - interval '40 days');

-- Dara: a reading that stopped (uploaded two hours ago, no job behind it: a demo has no photo
-- to read); the app says so and offers to remove it and scan again (DELETE allowed: stale)
INSERT INTO prescriptions (id, patient_id, uploaded_by, image_path, image_mime_type, image_size_bytes, image_sha256,
                           image_metadata, diagnosis, status, processing_attempts, created_at, updated_at)
VALUES ('40000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
        NULL, 'image/png', 2048000, repeat('c3', 32), '{}', '{}', 'processing', 1, now() - interval '2 hours', now() - interval '2 hours');

-- Bopha: ten prescriptions (the free tier's limit), one more deleted (does not count); the
-- oldest completed one (400 days) is what archive_old_prescriptions(365) archives.
INSERT INTO prescriptions (id, patient_id, uploaded_by, hospital_name, prescription_number, patient_name_as_written,
                           patient_age_as_written, patient_gender_as_written, diagnosis, prescribing_doctor_name,
                           prescription_date, pharmacy_name, status, ocr_confidence, confirmed_at, archived_at, deleted_at, created_at)
SELECT ('40000000-0000-4000-8000-0000000001' || lpad(g::text, 2, '0'))::uuid,
       '30000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000003',
       (ARRAY['Calmette Hospital', 'Khmer-Soviet Friendship Hospital', 'Preah Kossamak Hospital'])[1 + g % 3],
       'RX-' || (2024 + g / 6) || '-' || lpad((g * 137)::text, 5, '0'), 'OUK BOPHA', 54, 'female',
       CASE WHEN g % 2 = 0 THEN '{"Asthma"}'::text[] ELSE '{"Upper respiratory infection"}'::text[] END,
       (ARRAY['Dr. Heng Vannak', 'Dr. Lim Sophea', 'Dr. Keo Rithy'])[1 + g % 3],
       CURRENT_DATE - (g * 40 + 10), 'Pharmacie Phnom Penh Thmey',
       CASE WHEN g = 11 THEN 'archived'::prescription_status ELSE 'completed'::prescription_status END,
       0.850 + (g % 5) * 0.02,
       now() - make_interval(days => g * 40 + 10),
       CASE WHEN g = 11 THEN now() - interval '30 days' END,
       CASE WHEN g = 1 THEN now() - interval '5 days' END,
       now() - make_interval(days => g * 40 + 10)
FROM generate_series(1, 11) AS g;
-- g = 1 (50 days, deleted), g = 10 (410 days, completed: archivable), g = 11 (450 days, archived)

-- ---------------------------------------------------------------- medications
INSERT INTO medications (id, prescription_id, patient_id, sequence, name, generic_name, brand_name, strength, form,
                         quantity, quantity_unit, duration_days, dose_morning, dose_noon, dose_evening, dose_night,
                         instructions, take_after_meal, take_before_meal, confidence, field_confidence, lexicon_id, is_active)
VALUES
  ('50000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 1,
   'Metformin', 'metformin', 'Glucophage', '500mg', 'tablet', 60, 'tablet', 30, 1, 0, 1, 0,
   'លេបក្រោយអាហារ (after meal)', true, false, 0.95, '{"name": 0.97, "strength": 0.95, "dosage_schedule": 0.93}', 'metformin', true),
  ('50000000-0000-4000-8000-000000000002', '40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 2,
   'Amlodipine', 'amlodipine', 'Norvasc', '5mg', 'tablet', 30, 'tablet', 30, 1, 0, 0, 0,
   'លេបពេលព្រឹក (in the morning)', false, false, 0.93, '{"name": 0.96, "strength": 0.94, "dosage_schedule": 0.90}', 'amlodipine', true),
  ('50000000-0000-4000-8000-000000000003', '40000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', 1,
   'Omeprazole', 'omeprazole', NULL, '20mg', 'capsule', 14, 'capsule', 14, 1, 0, 0, 0,
   'លេបមុនអាហារ (before meal)', false, true, 0.78, '{"name": 0.88, "strength": 0.81, "dosage_schedule": 0.66}', 'omeprazole', true),
  ('50000000-0000-4000-8000-000000000004', '40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002', 1,
   'Amoxicillin', 'amoxicillin', 'Amoxil', '500mg', 'capsule', 21, 'capsule', 7, 1, 1, 1, 0,
   'Take until finished · លេបរហូតអស់', true, false, 0.91, '{"name": 0.95, "strength": 0.92}', 'amoxicillin', true),
  ('50000000-0000-4000-8000-000000000005', '40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002', 2,
   'Paracetamol', 'paracetamol', 'Panadol', '500mg', 'tablet', 20, 'tablet', 5, 1, 1, 1, 1,
   'When in pain or fever · ពេលឈឺ ឬក្តៅខ្លួន', true, false, 0.94, '{"name": 0.98, "strength": 0.96}', 'paracetamol', true),
  ('50000000-0000-4000-8000-000000000006', '40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002', 3,
   'Omeprazole', 'omeprazole', 'Losec', '20mg', 'capsule', 14, 'capsule', 14, 1, 0, 0, 0,
   'លេបមុនអាហារពេលព្រឹក (before breakfast)', false, true, 0.89, '{"name": 0.93, "strength": 0.90}', 'omeprazole', true),
  ('50000000-0000-4000-8000-000000000007', '40000000-0000-4000-8000-000000000006', '30000000-0000-4000-8000-000000000004', 1,
   'Amlodipine', 'amlodipine', NULL, '5mg', 'tablet', 90, 'tablet', 90, 1, 0, 0, 0,
   'Every morning', false, false, 0.92, '{}', 'amlodipine', true);

-- one medication on each of Bopha's prescriptions
INSERT INTO medications (prescription_id, patient_id, sequence, name, generic_name, strength, form, quantity, quantity_unit,
                         duration_days, dose_morning, dose_noon, dose_evening, dose_night, take_after_meal, confidence)
SELECT p.id, p.patient_id, 1,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN 'Salbutamol' ELSE 'Paracetamol' END,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN 'salbutamol' ELSE 'paracetamol' END,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN '100mcg' ELSE '500mg' END,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN 'inhaler' ELSE 'tablet' END,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN 1 ELSE 15 END,
       CASE WHEN 'Asthma' = ANY (p.diagnosis) THEN 'inhaler' ELSE 'tablet' END,
       5, 1, 0, 1, 0, true, 0.9
FROM prescriptions p WHERE p.patient_id = '30000000-0000-4000-8000-000000000003';

-- ---------------------------------------------------------------- reminders
INSERT INTO medication_reminders (id, medication_id, patient_id, slot, reminder_time, dose_amount, dose_unit, days_of_week,
                                  start_date, end_date, timezone, is_active, snooze_minutes, advance_minutes)
VALUES
  -- Dara: Metformin morning + evening, Amlodipine morning (day 1 = 20 days ago, 30 days)
  ('60000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   'morning', '07:00', 1, 'tablet', '{1,2,3,4,5,6,7}', CURRENT_DATE - 20, CURRENT_DATE + 9, 'Asia/Phnom_Penh', true, 10, 5),
  ('60000000-0000-4000-8000-000000000002', '50000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   'evening', '17:30', 1, 'tablet', '{1,2,3,4,5,6,7}', CURRENT_DATE - 20, CURRENT_DATE + 9, 'Asia/Phnom_Penh', true, 10, 5),
  ('60000000-0000-4000-8000-000000000003', '50000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001',
   'morning', '07:00', 1, 'tablet', '{1,2,3,4,5,6,7}', CURRENT_DATE - 20, CURRENT_DATE + 9, 'Asia/Phnom_Penh', true, 10, 0),
  -- Sreymom: Amoxicillin (7 days, finished 3 days ago), Paracetamol (5 days, finished), Omeprazole (14 days, running)
  ('60000000-0000-4000-8000-000000000004', '50000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002',
   'morning', '07:00', 1, 'capsule', '{1,2,3,4,5,6,7}', CURRENT_DATE - 10, CURRENT_DATE - 4, 'Asia/Phnom_Penh', true, 10, 0),
  ('60000000-0000-4000-8000-000000000005', '50000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002',
   'noon', '11:30', 1, 'capsule', '{1,2,3,4,5,6,7}', CURRENT_DATE - 10, CURRENT_DATE - 4, 'Asia/Phnom_Penh', true, 10, 0),
  ('60000000-0000-4000-8000-000000000006', '50000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000002',
   'evening', '17:30', 1, 'capsule', '{1,2,3,4,5,6,7}', CURRENT_DATE - 10, CURRENT_DATE - 4, 'Asia/Phnom_Penh', true, 10, 0),
  ('60000000-0000-4000-8000-000000000007', '50000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000002',
   'night', '20:00', 1, 'tablet', '{1,2,3,4,5,6,7}', CURRENT_DATE - 10, CURRENT_DATE - 6, 'Asia/Phnom_Penh', false, 10, 0),
  ('60000000-0000-4000-8000-000000000008', '50000000-0000-4000-8000-000000000006', '30000000-0000-4000-8000-000000000002',
   'morning', '06:30', 1, 'capsule', '{1,2,3,4,5,6,7}', CURRENT_DATE - 10, CURRENT_DATE + 3, 'Asia/Phnom_Penh', true, 15, 10),
  -- Sovann: Amlodipine on weekdays only (Mon–Fri), no end date
  ('60000000-0000-4000-8000-000000000009', '50000000-0000-4000-8000-000000000007', '30000000-0000-4000-8000-000000000004',
   'morning', '07:30', 1, 'tablet', '{1,2,3,4,5}', CURRENT_DATE - 40, NULL, 'Asia/Phnom_Penh', true, 10, 0);

-- Dose logs: every past dose from the start day to yesterday (and today's doses already due),
-- mostly taken; a missed dose every 7th, a skipped one every 11th. The trigger keeps the
-- reminders' counters.
INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at, reason, notified_at)
SELECT r.id, r.patient_id, d.at,
       CASE WHEN d.n % 7 = 3 THEN 'missed'::reminder_log_status
            WHEN d.n % 11 = 5 THEN 'skipped'::reminder_log_status
            ELSE 'taken'::reminder_log_status END,
       CASE WHEN d.n % 7 = 3 THEN NULL ELSE d.at + make_interval(mins => (3 + (d.n * 7) % 25)::integer) END,
       CASE WHEN d.n % 7 <> 3 AND d.n % 11 = 5 THEN 'Felt nauseous · ចង្អោរ' END,
       d.at - make_interval(mins => r.advance_minutes)
FROM medication_reminders r
CROSS JOIN LATERAL (
    SELECT (day::date + r.reminder_time) AT TIME ZONE r.timezone AS at,
           row_number() OVER (ORDER BY day) + abs(hashtext(r.id::text)) % 5 AS n
    FROM generate_series(r.start_date, coalesce(least(r.end_date, CURRENT_DATE), CURRENT_DATE), interval '1 day') AS day
    WHERE extract(isodow FROM day)::smallint = ANY (r.days_of_week)
) AS d
WHERE d.at < now() - interval '2 hours';

-- next_reminder_at: the next dose after now for the reminders still running
UPDATE medication_reminders r
   SET next_reminder_at = (
         SELECT min((day::date + r.reminder_time) AT TIME ZONE r.timezone - make_interval(mins => r.advance_minutes))
         FROM generate_series(CURRENT_DATE, CURRENT_DATE + 8, interval '1 day') AS day
         WHERE extract(isodow FROM day)::smallint = ANY (r.days_of_week)
           AND day::date >= r.start_date AND (r.end_date IS NULL OR day::date <= r.end_date)
           AND (day::date + r.reminder_time) AT TIME ZONE r.timezone > now()),
       last_dispatched_at = (SELECT max(l.notified_at) FROM medication_reminder_logs l WHERE l.reminder_id = r.id)
 WHERE r.is_active;

-- ---------------------------------------------------------------- clinical notes
INSERT INTO clinical_notes (id, doctor_id, patient_id, prescription_id, note_type, title, content, is_private, follow_up_date, created_at)
VALUES
  ('80000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   '40000000-0000-4000-8000-000000000001', 'recommendation', 'Diet and exercise',
   E'Reduce salt and sugar; walk 30 minutes a day.\nកាត់បន្ថយអំបិល និងស្ករ ហើយដើរ ៣០ នាទីក្នុងមួយថ្ងៃ។', false, NULL, now() - interval '19 days'),
  ('80000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   '40000000-0000-4000-8000-000000000001', 'observation', 'Evening doses',
   'Evening Metformin doses are often missed; consider a once-daily extended-release form at the next visit.', true, NULL,
   now() - interval '5 days'),
  ('80000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   NULL, 'follow_up', 'HbA1c check',
   'Come back for HbA1c and blood pressure check at Calmette, outpatient clinic 3.', false, CURRENT_DATE + 10, now() - interval '2 days'),
  ('80000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000003',
   NULL, 'observation', 'Asthma control',
   'Asthma well controlled with Salbutamol as needed. No night symptoms.', false, NULL, now() - interval '150 days');

-- ---------------------------------------------------------------- AI (Dara is premium)
INSERT INTO ai_chat_conversations (id, user_id, prescription_id, title, language, last_message_at, created_at)
VALUES ('c0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001',
        'Metformin questions', 'km', now() - interval '3 days', now() - interval '3 days');
INSERT INTO ai_chat_messages (conversation_id, user_id, role, content, tokens_input, tokens_output, model, created_at)
VALUES
  ('c0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'system',
   'You are DasTern''s medication assistant. You do not replace a doctor.', 0, 0, NULL, now() - interval '3 days'),
  ('c0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'user',
   'តើខ្ញុំគួរលេប Metformin មុន ឬក្រោយអាហារ?', 24, 0, NULL, now() - interval '3 days'),
  ('c0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'assistant',
   'គួរលេប Metformin ជាមួយ ឬក្រោយអាហារ ដើម្បីកាត់បន្ថយការឈឺពោះ។ (Take Metformin with or after a meal to limit stomach upset.)',
   0, 61, 'demo-model', now() - interval '3 days' + interval '4 seconds');
INSERT INTO ai_reports (id, user_id, prescription_id, report_type, title, language, content, file_path, file_mime_type, status, model,
                        generated_at, created_at)
VALUES ('c1000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001',
        'adherence', 'Adherence — last 14 days', 'km',
        '{"summary": "Morning doses taken well; evening Metformin often missed.", "adherence_rate": 82.5}',
        'reports/30000000/c1000000-0001.pdf.enc', 'application/pdf', 'completed', 'demo-model',
        now() - interval '2 days', now() - interval '2 days');

-- ---------------------------------------------------------------- notifications
INSERT INTO notifications (id, user_id, type, title, body, data, channels, delivery_status, delivery_attempts, delivered_at,
                           dedupe_key, read_at, created_at)
VALUES
  ('b0000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'reminder',
   'ដល់ម៉ោងលេបថ្នាំ · Time for your medicine', 'Metformin 500mg — 1 tablet after breakfast',
   jsonb_build_object('reminder_id', '60000000-0000-4000-8000-000000000001', 'scheduled_for', (CURRENT_DATE - 1 + time '07:00') AT TIME ZONE 'Asia/Phnom_Penh'),
   '{in_app,push}', 'delivered', 1, now() - interval '1 day',
   'dose:60000000-0000-4000-8000-000000000001:' || (CURRENT_DATE - 1)::text || 'T07:00', now() - interval '23 hours', now() - interval '1 day'),
  ('b0000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', 'refill',
   'Refill soon · ជិតអស់ថ្នាំ', 'Amlodipine 5mg: about 9 days left.',
   '{"medication_id": "50000000-0000-4000-8000-000000000002", "days_left": 9}', '{in_app,email}', 'sent', 1, now() - interval '3 hours',
   NULL, NULL, now() - interval '3 hours'),
  ('b0000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000002', 'invitation',
   'Dr. Keo Rithy invites you', 'Preah Kossamak Hospital would like to follow your treatment. Code: KHMR4PHN7X',
   '{"relationship_id": "70000000-0000-4000-8000-000000000003"}', '{in_app,email}', 'delivered', 1, now() - interval '2 days',
   NULL, NULL, now() - interval '2 days'),
  ('b0000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000001', 'missed_dose',
   'Missed doses: Dara Sok', '3 evening doses of Metformin missed this week.',
   '{"patient_id": "30000000-0000-4000-8000-000000000001", "medication_id": "50000000-0000-4000-8000-000000000001"}',
   '{in_app}', 'delivered', 1, now() - interval '1 day', NULL, NULL, now() - interval '1 day'),
  ('b0000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000001', 'prescription',
   'Prescription read · អានវេជ្ជបញ្ជារួចរាល់', 'Please review the medications found on your Khmer-Soviet prescription.',
   '{"prescription_id": "40000000-0000-4000-8000-000000000002"}', '{in_app,push}', 'delivered', 1, now() - interval '1 day',
   NULL, NULL, now() - interval '1 day'),
  ('b0000000-0000-4000-8000-000000000006', '30000000-0000-4000-8000-000000000004', 'system',
   'Premium expired', 'Your yearly Premium ended. Renew to keep using the AI assistant.',
   '{}', '{in_app,email}', 'delivered', 1, now() - interval '35 days', NULL, now() - interval '34 days', now() - interval '35 days');

-- ---------------------------------------------------------------- usage events
INSERT INTO usage_analytics (user_id, event_type, platform, app_version, properties, occurred_at)
SELECT '30000000-0000-4000-8000-000000000001', 'ai_request', 'android', '2.0.3',
       jsonb_build_object('feature', CASE WHEN g % 3 = 0 THEN 'ai_report' ELSE 'ai_chat' END),
       greatest(date_trunc('month', now()), now() - make_interval(hours => g * 5))
FROM generate_series(1, 12) AS g;
INSERT INTO usage_analytics (user_id, event_type, platform, app_version, properties, occurred_at)
VALUES
  ('30000000-0000-4000-8000-000000000001', 'login', 'android', '2.0.3', '{}', now() - interval '1 hour'),
  ('30000000-0000-4000-8000-000000000001', 'prescription_scan', 'android', '2.0.3', '{"pages": 1}', now() - interval '21 days'),
  ('30000000-0000-4000-8000-000000000001', 'prescription_scan', 'android', '2.0.3', '{"pages": 1}', now() - interval '1 day'),
  ('30000000-0000-4000-8000-000000000001', 'reminder_taken', 'android', '2.0.3', '{"slot": "morning"}', now() - interval '1 day'),
  ('30000000-0000-4000-8000-000000000002', 'login', 'ios', '2.0.2', '{}', now() - interval '6 hours'),
  ('30000000-0000-4000-8000-000000000002', 'prescription_scan', 'ios', '2.0.2', '{"pages": 1}', now() - interval '10 days'),
  ('20000000-0000-4000-8000-000000000001', 'login', 'web', '2.0.3', '{}', now() - interval '2 hours'),
  ('20000000-0000-4000-8000-000000000001', 'patient_view', 'web', '2.0.3', '{}', now() - interval '2 hours'),
  (NULL, 'app_open', 'web', '2.0.3', '{"anonymous": true}', now() - interval '30 minutes');

-- ---------------------------------------------------------------- audit: reads recorded by the service
INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, ip_address, user_agent)
VALUES
  ('20000000-0000-4000-8000-000000000001', 'doctor', 'read', 'prescriptions', '40000000-0000-4000-8000-000000000001',
   '30000000-0000-4000-8000-000000000001', '103.216.51.7', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132'),
  ('20000000-0000-4000-8000-000000000002', 'doctor', 'read', 'prescriptions', '40000000-0000-4000-8000-000000000001',
   '30000000-0000-4000-8000-000000000001', '202.62.44.18', 'Mozilla/5.0 (Macintosh) Safari/17'),
  ('30000000-0000-4000-8000-000000000001', 'patient', 'login', 'users', '30000000-0000-4000-8000-000000000001',
   '30000000-0000-4000-8000-000000000001', '203.144.75.10', 'DasTern/2.0 (Android 14)');

-- back to no context (the connection may be reused)
DO $$ BEGIN PERFORM set_config('app.user_role', '', false); PERFORM set_config('app.user_id', '', false); END $$;
RESET TimeZone;
