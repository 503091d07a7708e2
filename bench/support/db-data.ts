/**
 * Generated data for the database benchmark, loaded with set-based SQL as the owner.
 *
 * Shape (scale 1): 100,000 patients (plus 1 % doctors, 30 % of patients linked to one), 1,000,000
 * prescriptions spread over the patients at random (≈10 each, Poisson), each with 1–4 medications.
 * Each patient's latest prescription is recent (≤ 60 days) and running: one reminder per dose slot
 * (1–3 per medication), a course of 5–180 days. Dose logs are written day by day backwards from
 * today (the heap fills in time order, as in production) until 10,000,000 exist.
 *
 * Speed: triggers off (session_replication_role = replica), the loaded tables' indexes, unique
 * and foreign keys dropped during the load and rebuilt after it (sorted builds instead of
 * 10M random B-tree inserts; of the partitioned dose logs the parent's keys and indexes only:
 * dropping one drops the partitions' copies, making it again makes them on every partition), then VACUUM ANALYZE (visibility map and statistics, as autovacuum
 * would have them in production).
 */
import type pg from 'pg';

export interface Scale {
  factor: number;
  patients: number;
  doctors: number;
  prescriptions: number;
  doseLogs: number;
}

export function scaleOf(factor: number): Scale {
  const patients = Math.max(50, Math.round(100_000 * factor));
  return {
    factor,
    patients,
    doctors: Math.max(5, Math.round(patients / 100)),
    prescriptions: Math.max(100, Math.round(1_000_000 * factor)),
    doseLogs: Math.max(1_000, Math.round(10_000_000 * factor)),
  };
}

/** The tables whose indexes and keys are dropped during the load. */
const LOADED = ['prescriptions', 'medications', 'medication_reminders', 'medication_reminder_logs'];

const BCRYPT = '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC';
const FIRST = `ARRAY['Dara','Sophea','Sreymom','Bopha','Sovann','Vannak','Rithy','Chanthy','Kosal','Sokha','Pisey','Malis','Vuthy','Nary','Sopheap']`;
const LAST = `ARRAY['Sok','Chhay','Ouk','Pich','Mao','Heng','Lim','Keo','Meas','Chan','Seng','Kim','Ly','Tan','Phan']`;
const MEDS = `ARRAY['Metformin','Amlodipine','Amoxicillin','Paracetamol','Omeprazole','Losartan','Atorvastatin','Glibenclamide',
  'Ibuprofen','Ciprofloxacin','Metronidazole','Salbutamol','Cetirizine','Enalapril','Hydrochlorothiazide','Furosemide',
  'Aspirin','Simvastatin','Gliclazide','Doxycycline','Azithromycin','Prednisolone','Ranitidine','Vitamin B complex',
  'Ferrous sulfate','Folic acid','Diclofenac','Loratadine','Captopril','Insulin glargine']`;
const STRENGTHS = `ARRAY['500mg','5mg','250mg','1g','20mg','50mg','10mg','40mg','100mg','2mg']`;
const HOSPITALS = `ARRAY['Calmette Hospital','Khmer-Soviet Friendship Hospital','Preah Kossamak Hospital','Kantha Bopha','Royal Phnom Penh Hospital','Sen Sok International','Battambang Provincial Hospital','Siem Reap Referral Hospital']`;
const OCR = `'មន្ទីរពេទ្យ / HOSPITAL — វេជ្ជបញ្ជា PRESCRIPTION. ឈ្មោះ Name: ... អាយុ Age: ... ភេទ Sex: ... រោគវិនិច្ឆ័យ Diagnosis: Hypertension, Type 2 diabetes. '
  || 'ល.រ No | ឈ្មោះថ្នាំ Medicine | ព្រឹក | ថ្ងៃត្រង់ | ល្ងាច | យប់ | 1. Metformin 500mg 1 - 1 - ; 2. Amlodipine 5mg 1 - - - ; '
  || 'ប្រើរយៈពេល 30 ថ្ងៃ. Take after meals. វេជ្ជបណ្ឌិត Doctor signature, date and stamp of the hospital pharmacy.'`;

export interface LoadReport {
  seconds: Record<string, number>;
  counts: Record<string, number>;
}

/** Loads the data into an empty, migrated database. `say` reports progress. */
export async function loadData(c: pg.ClientBase, scale: Scale, say: (text: string) => void): Promise<LoadReport> {
  const seconds: Record<string, number> = {};
  const step = async (name: string, sql: string): Promise<void> => {
    say(`load: ${name}…`);
    const t0 = performance.now();
    await c.query(sql);
    seconds[name] = (seconds[name] ?? 0) + (performance.now() - t0) / 1000;
  };
  const { patients: P, doctors: D, prescriptions: NRX, doseLogs: NLOGS } = scale;

  await c.query(`SET session_replication_role = replica;
                 SET maintenance_work_mem = '1GB'; SET work_mem = '256MB'; SET synchronous_commit = off;
                 SET TIME ZONE 'Asia/Phnom_Penh'`);
  await c.query('CREATE SCHEMA IF NOT EXISTS bench_meta');

  // --- drop the loaded tables' keys and indexes, remembering their definitions
  await step(
    'drop indexes',
    `
    CREATE TABLE bench_meta.saved_ddl (ord serial, kind text, tbl text, name text, def text);
    INSERT INTO bench_meta.saved_ddl (kind, tbl, name, def)
    SELECT 'fk', con.conrelid::regclass::text, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    WHERE con.contype = 'f' AND con.conparentid = 0
      AND (con.conrelid::regclass::text = ANY (${arr(LOADED)}) OR con.confrelid::regclass::text = ANY (${arr(LOADED)}));
    INSERT INTO bench_meta.saved_ddl (kind, tbl, name, def)
    SELECT 'key', con.conrelid::regclass::text, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    WHERE con.contype IN ('p', 'u') AND con.conparentid = 0 AND con.conrelid::regclass::text = ANY (${arr(LOADED)});
    INSERT INTO bench_meta.saved_ddl (kind, tbl, name, def)
    SELECT 'index', i.tablename, i.indexname, replace(i.indexdef, ' ON ONLY ', ' ON ')
    FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename = ANY (${arr(LOADED)})
      AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = (quote_ident(i.indexname))::regclass);
    DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT * FROM bench_meta.saved_ddl WHERE kind = 'fk' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.name); END LOOP;
      FOR r IN SELECT * FROM bench_meta.saved_ddl WHERE kind = 'key' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.name); END LOOP;
      FOR r IN SELECT * FROM bench_meta.saved_ddl WHERE kind = 'index' LOOP
        EXECUTE format('DROP INDEX %I', r.name); END LOOP;
    END $$;`,
  );

  // --- people
  await step(
    'users',
    `
    CREATE TABLE bench_meta.patients AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, ${P}) AS g;
    ALTER TABLE bench_meta.patients ADD PRIMARY KEY (n);
    CREATE TABLE bench_meta.doctors AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, ${D}) AS g;
    INSERT INTO users (id, email, password_hash, role, first_name, last_name, phone, language, timezone, date_of_birth,
                       gender, medical_conditions, email_verified_at, last_login_at, created_at, updated_at)
    SELECT id, 'bench-p' || n || '@example.com', '${BCRYPT}', 'patient', (${FIRST})[1 + n % 15], (${LAST})[1 + (n / 15) % 15],
           '+8551' || lpad((n % 10000000)::text, 7, '0'), (ARRAY['km','km','km','en','fr'])[1 + n % 5], 'Asia/Phnom_Penh',
           DATE '1940-01-01' + (n * 7 % 25000), CASE WHEN n % 2 = 0 THEN 'female' ELSE 'male' END,
           CASE WHEN n % 3 = 0 THEN ARRAY['hypertension'] ELSE '{}' END,
           now() - interval '3 years', now() - random() * interval '7 days',
           now() - interval '3 years' + random() * interval '1 year', now()
    FROM bench_meta.patients;
    INSERT INTO users (id, email, password_hash, role, first_name, last_name, language, timezone, license_number,
                       specialization, hospital_name, email_verified_at, created_at, updated_at)
    SELECT id, 'bench-d' || n || '@example.com', '${BCRYPT}', 'doctor', (${FIRST})[1 + n % 15], (${LAST})[1 + (n / 15) % 15],
           'km', 'Asia/Phnom_Penh', 'BENCH-MD-' || n, 'internal medicine', (${HOSPITALS})[1 + n % 8],
           now() - interval '3 years', now() - interval '3 years', now()
    FROM bench_meta.doctors;
    INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, accepted_at,
                                              can_view_prescriptions, can_add_notes, can_modify_reminders, created_at, updated_at)
    SELECT d.id, p.id, 'active', 'doctor', now() - interval '200 days', true, true, p.n % 2 = 0,
           now() - interval '201 days', now() - interval '200 days'
    FROM bench_meta.patients p JOIN bench_meta.doctors d ON d.n = 1 + p.n % ${D}
    WHERE p.n % 10 < 3;`,
  );

  // --- prescriptions: each assigned to a random patient; per patient k = 0 is the latest
  await step(
    'prescriptions',
    `
    CREATE TABLE bench_meta.rx AS
    WITH s AS (SELECT 1 + floor(random() * ${P})::int AS n FROM generate_series(1, ${NRX})),
         r AS (SELECT n, (row_number() OVER (PARTITION BY n) - 1)::int AS k FROM s)
    SELECT gen_random_uuid() AS id, p.id AS patient_id, r.n, r.k,
           CASE WHEN r.k = 0 THEN now() - random() * interval '60 days'
                ELSE now() - interval '60 days' - (r.k - 1) * interval '90 days' - random() * interval '90 days' END AS created_at
    FROM r JOIN bench_meta.patients p ON p.n = r.n;
    INSERT INTO prescriptions (id, patient_id, uploaded_by, image_path, image_mime_type, image_size_bytes, image_sha256,
                               thumbnail_path, ocr_raw_text, ocr_confidence, ocr_engine, detected_language, processing_time_ms,
                               hospital_name, prescription_number, patient_name_as_written, patient_age_as_written,
                               diagnosis, department, prescribing_doctor_name, prescription_date, pharmacy_name,
                               status, processed_at, confirmed_at, archived_at, deleted_at, created_at, updated_at)
    SELECT id, patient_id, patient_id, 'prescriptions/' || id || '.enc', 'image/jpeg', 120000 + (n * 7919) % 900000,
           encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), 'thumbnails/' || id || '.enc', ${OCR},
           0.700 + (n % 300) / 1000.0, 'tesseract', 'km+en', 1500 + n % 4000,
           (${HOSPITALS})[1 + (n + k) % 8], 'RX-' || n || '-' || k, 'Patient ' || n, 20 + n % 60,
           ARRAY[(ARRAY['Hypertension','Type 2 diabetes','Gastritis','Upper respiratory infection','Fever'])[1 + (n + k) % 5]],
           'Internal medicine', 'Dr. ' || (${LAST})[1 + k % 15], created_at::date, 'Pharmacy ' || (n + k) % 500,
           (CASE WHEN k >= 5 THEN 'archived' ELSE 'completed' END)::prescription_status,
           created_at + interval '20 seconds', created_at + interval '5 minutes',
           CASE WHEN k >= 5 THEN created_at + interval '1 year' END,
           CASE WHEN k > 0 AND (n + k) % 40 = 0 THEN created_at + interval '30 days' END,
           created_at, created_at + interval '5 minutes'
    FROM bench_meta.rx AS rx ORDER BY rx.created_at;`,
  );

  // --- medications: 1–4 per prescription; only the latest prescription's are active
  await step(
    'medications',
    `
    INSERT INTO medications (id, prescription_id, patient_id, sequence, name, generic_name, strength, form, quantity,
                             quantity_unit, duration_days, dose_morning, dose_noon, dose_evening, dose_night,
                             instructions, take_after_meal, confidence, field_confidence, is_active, created_at, updated_at)
    SELECT gen_random_uuid(), rx.id, rx.patient_id, s.seq, (${MEDS})[1 + (rx.n * 7 + s.seq * 13 + rx.k) % 30],
           lower((${MEDS})[1 + (rx.n * 7 + s.seq * 13 + rx.k) % 30]), (${STRENGTHS})[1 + (rx.n + s.seq) % 10], 'tablet',
           30, 'tablet', d.days, 1, CASE WHEN d.slots = 3 THEN 1 ELSE 0 END, CASE WHEN d.slots >= 2 THEN 1 ELSE 0 END, 0,
           'Take after meals', true, 0.900, '{"name": 0.95, "strength": 0.9, "dose": 0.85}', rx.k = 0,
           rx.created_at + interval '5 minutes', rx.created_at + interval '5 minutes'
    FROM bench_meta.rx
    CROSS JOIN LATERAL generate_series(1, 1 + abs(hashtext(rx.id::text)) % 4) AS s(seq)
    CROSS JOIN LATERAL (SELECT 1 + abs(hashtext(rx.id::text || s.seq)) % 3 AS slots,
                               CASE WHEN abs(hashtext(s.seq || rx.id::text)) % 4 = 0 THEN 5 + abs(hashtext(rx.id::text)) % 10
                                    ELSE 30 + abs(hashtext(rx.id::text)) % 150 END AS days) AS d
    ORDER BY rx.created_at, s.seq;`,
  );

  // --- reminders: one per dose slot of each active medication (1–3 per medication)
  await step(
    'reminders',
    `
    INSERT INTO medication_reminders (id, medication_id, patient_id, slot, reminder_time, dose_amount, dose_unit, days_of_week,
                                      start_date, end_date, timezone, is_active, created_at, updated_at)
    SELECT gen_random_uuid(), m.id, m.patient_id, sl.slot, sl.t, sl.dose, 'tablet',
           CASE WHEN abs(hashtext(m.id::text)) % 20 = 0 THEN '{1,2,3,4,5}'::smallint[] ELSE '{1,2,3,4,5,6,7}'::smallint[] END,
           (m.created_at AT TIME ZONE 'Asia/Phnom_Penh')::date,
           (m.created_at AT TIME ZONE 'Asia/Phnom_Penh')::date + m.duration_days - 1,
           'Asia/Phnom_Penh', true, m.created_at, m.created_at
    FROM medications m
    CROSS JOIN LATERAL (VALUES ('morning'::dose_slot, time '07:00', m.dose_morning), ('noon'::dose_slot, time '11:30', m.dose_noon),
                               ('evening'::dose_slot, time '17:30', m.dose_evening), ('night'::dose_slot, time '20:00', m.dose_night)) AS sl(slot, t, dose)
    WHERE m.is_active AND sl.dose > 0
    ORDER BY m.created_at, m.id, sl.t;`,
  );
  await step(
    'reminders',
    `
    UPDATE medication_reminders r
       SET next_reminder_at = reminder_next_occurrence(now(), r.reminder_time, r.timezone, r.days_of_week, r.start_date, r.end_date)
     WHERE r.end_date >= (now() AT TIME ZONE r.timezone)::date;`,
  );

  // --- dose logs, one day at a time backwards from today, until NLOGS
  const t0 = performance.now();
  let logs = 0;
  for (let day = 0; logs < NLOGS && day < 400; day++) {
    say(`load: dose logs, day -${day}: ${logs.toLocaleString('en-US')} / ${NLOGS.toLocaleString('en-US')}`);
    const res = await c.query(`
      INSERT INTO medication_reminder_logs (id, reminder_id, patient_id, scheduled_for, status, action_at, notified_at, created_at, updated_at)
      SELECT gen_random_uuid(), r.id, r.patient_id, x.at,
             CASE WHEN x.at > now() - make_interval(mins => r.grace_minutes) THEN 'pending'
                  WHEN x.u < 0.82 THEN 'taken' WHEN x.u < 0.94 THEN 'missed' ELSE 'skipped' END::reminder_log_status,
             CASE WHEN x.at <= now() - make_interval(mins => r.grace_minutes) AND (x.u < 0.82 OR x.u >= 0.94)
                  THEN x.at + x.u * interval '40 minutes' END,
             x.at, x.at, x.at + interval '1 hour'
      FROM medication_reminders r
      CROSS JOIN LATERAL (SELECT (((now() AT TIME ZONE 'Asia/Phnom_Penh')::date - ${day}) + r.reminder_time) AT TIME ZONE r.timezone AS at,
                                 random() AS u) AS x
      WHERE r.start_date <= (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - ${day}
        AND r.end_date >= (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - ${day}
        AND extract(isodow FROM (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - ${day})::smallint = ANY (r.days_of_week)
        AND x.at <= now()
      LIMIT ${NLOGS - logs}`);
    logs += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) === 0 && day > 62) break; // reminders start at most 60 days ago
  }
  seconds['dose logs'] = (performance.now() - t0) / 1000;

  // the counters the trigger would have kept
  await step(
    'reminder counters',
    `
    UPDATE medication_reminders r
       SET total_doses = c.total, taken_count = c.taken, missed_count = c.missed, skipped_count = c.skipped
      FROM (SELECT reminder_id, count(*)::int AS total, count(*) FILTER (WHERE status = 'taken')::int AS taken,
                   count(*) FILTER (WHERE status = 'missed')::int AS missed, count(*) FILTER (WHERE status = 'skipped')::int AS skipped
              FROM medication_reminder_logs GROUP BY reminder_id) AS c
     WHERE c.reminder_id = r.id;`,
  );

  // --- rebuild keys, indexes, foreign keys (validated)
  const saved = await c.query<{ kind: string; tbl: string; name: string; def: string }>(
    `SELECT kind, tbl, name, def FROM bench_meta.saved_ddl ORDER BY CASE kind WHEN 'key' THEN 1 WHEN 'index' THEN 2 ELSE 3 END, ord`,
  );
  const t1 = performance.now();
  for (const [i, d] of saved.rows.entries()) {
    say(`load: rebuilding ${d.kind} ${d.name} (${i + 1}/${saved.rows.length})`);
    await c.query(d.kind === 'index' ? d.def : `ALTER TABLE ${d.tbl} ADD CONSTRAINT ${quoteIdent(d.name)} ${d.def}`);
  }
  seconds['rebuild indexes and keys'] = (performance.now() - t1) / 1000;
  await c.query('DROP TABLE bench_meta.saved_ddl, bench_meta.rx, bench_meta.doctors');
  await c.query('RESET session_replication_role');

  await step(
    'vacuum analyze',
    'VACUUM (ANALYZE) users, doctor_patient_relationships, prescriptions, medications, medication_reminders, medication_reminder_logs',
  );
  await c.query('CHECKPOINT');

  const counts: Record<string, number> = {};
  for (const t of [
    'users',
    'doctor_patient_relationships',
    'prescriptions',
    'medications',
    'medication_reminders',
    'medication_reminder_logs',
  ]) {
    counts[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
  }
  return { seconds, counts };
}

function arr(xs: readonly string[]): string {
  return `ARRAY[${xs.map((x) => `'${x}'`).join(', ')}]`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
