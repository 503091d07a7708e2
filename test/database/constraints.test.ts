/** Every class of CHECK / UNIQUE / FOREIGN KEY constraint rejects bad data (as the owner: no RLS in the way). */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createMedication, createPrescription, createReminder, createUser, seed } from './fixtures.ts';

const t = useTestDatabase();
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

interface Ctx {
  patient: string;
  other: string;
  doctor: string;
  prescription: string;
  medication: string;
  reminder: string;
}
let c: Ctx;

beforeAll(async () => {
  const db = t().owner;
  const patient = await createUser(db, { email: 'Existing@Example.com' });
  const other = await createUser(db);
  const doctor = await createUser(db, { role: 'doctor' });
  const prescription = await createPrescription(db, patient);
  const medication = await createMedication(db, prescription, patient);
  const reminder = await createReminder(db, medication, patient);
  await db.query(
    `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
     VALUES ($1, $2, '2026-01-01T00:00:00Z', 'taken', now())`,
    [reminder, patient],
  );
  await db.query(
    `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by) VALUES ($1, $2, 'active', 'doctor')`,
    [doctor, patient],
  );
  await db.query(
    `INSERT INTO notifications (user_id, type, title, dedupe_key) VALUES ($1, 'reminder', 'x', 'dose:k1')`,
    [patient],
  );
  c = { patient, other, doctor, prescription, medication, reminder };
});

const user = (cols: string, vals: string): string =>
  `INSERT INTO users (email, password_hash, first_name, last_name${cols}) VALUES ('n' || gen_random_uuid() || '@x.org', repeat('x', 60), 'A', 'B'${vals})`;

type Case = [label: string, sql: (c: Ctx) => string, code: string];

const cases: Case[] = [
  [
    'user: malformed e-mail',
    () =>
      `INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('not-an-email', repeat('x', 60), 'A', 'B')`,
    '23514',
  ],
  [
    'user: e-mail taken in another case',
    () =>
      `INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('EXISTING@example.COM', repeat('x', 60), 'A', 'B')`,
    '23505',
  ],
  ['user: phone not E.164', () => user(', phone', ", '012 345 678'"), '23514'],
  ['user: language outside km/en/fr', () => user(', language', ", 'de'"), '23514'],
  ['user: unknown time zone', () => user(', timezone', ", 'Mars/Olympus_Mons'"), '23514'],
  ['user: POSIX offset as time zone', () => user(', timezone', ", 'UTC+7'"), '23514'],
  [
    'user: empty first name',
    () =>
      `INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('e@x.org', repeat('x', 60), ' ', 'B')`,
    '23514',
  ],
  [
    'user: dose template time 7:00',
    () => user(', dose_schedule_template', `, '{"morning":"7:00","noon":"11:30","evening":"17:30","night":"20:00"}'`),
    '23514',
  ],
  ['user: dose template missing a slot', () => user(', dose_schedule_template', `, '{"morning":"07:00"}'`), '23514'],
  ['user: unknown role', () => user(', role', ", 'nurse'"), '22P02'],
  [
    'prescription: OCR confidence 1.5',
    (x) => `INSERT INTO prescriptions (patient_id, ocr_confidence) VALUES ('${x.patient}', 1.5)`,
    '23514',
  ],
  [
    'prescription: pharmacy name over 500 characters (008)',
    (x) => `INSERT INTO prescriptions (patient_id, pharmacy_name) VALUES ('${x.patient}', repeat('ផ', 501))`,
    '23514',
  ],
  [
    'prescription: OCR confidence -0.1',
    (x) => `INSERT INTO prescriptions (patient_id, ocr_confidence) VALUES ('${x.patient}', -0.1)`,
    '23514',
  ],
  [
    'prescription: error without a reason',
    (x) => `INSERT INTO prescriptions (patient_id, status) VALUES ('${x.patient}', 'error')`,
    '23514',
  ],
  [
    'prescription: archived without archived_at',
    (x) => `INSERT INTO prescriptions (patient_id, status) VALUES ('${x.patient}', 'archived')`,
    '23514',
  ],
  [
    'prescription: GIF image',
    (x) => `INSERT INTO prescriptions (patient_id, image_mime_type) VALUES ('${x.patient}', 'image/gif')`,
    '23514',
  ],
  [
    'prescription: negative processing time',
    (x) => `INSERT INTO prescriptions (patient_id, processing_time_ms) VALUES ('${x.patient}', -1)`,
    '23514',
  ],
  [
    'prescription: bad sha256',
    (x) => `INSERT INTO prescriptions (patient_id, image_sha256) VALUES ('${x.patient}', 'abc')`,
    '23514',
  ],
  [
    'prescription: unknown status',
    (x) => `INSERT INTO prescriptions (patient_id, status) VALUES ('${x.patient}', 'done')`,
    '22P02',
  ],
  ['prescription: unknown patient', () => `INSERT INTO prescriptions (patient_id) VALUES (gen_random_uuid())`, '23503'],
  [
    'medication: quantity 0',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, quantity) VALUES ('${x.prescription}', '${x.patient}', 9, 'A', 0)`,
    '23514',
  ],
  [
    'medication: negative dose',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, dose_noon) VALUES ('${x.prescription}', '${x.patient}', 9, 'A', -1)`,
    '23514',
  ],
  [
    'medication: before and after meal',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, take_after_meal, take_before_meal) VALUES ('${x.prescription}', '${x.patient}', 9, 'A', true, true)`,
    '23514',
  ],
  [
    'medication: confidence 1.5',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, confidence) VALUES ('${x.prescription}', '${x.patient}', 9, 'A', 1.5)`,
    '23514',
  ],
  [
    'medication: strength over 100 characters (008)',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength) VALUES ('${x.prescription}', '${x.patient}', 9, 'A', repeat('5', 101))`,
    '23514',
  ],
  [
    'medication: another patient than its prescription',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name) VALUES ('${x.prescription}', '${x.other}', 9, 'A')`,
    '23503',
  ],
  [
    'medication: empty name',
    (x) =>
      `INSERT INTO medications (prescription_id, patient_id, sequence, name) VALUES ('${x.prescription}', '${x.patient}', 9, '')`,
    '23514',
  ],
  [
    'reminder: dose 0',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 0)`,
    '23514',
  ],
  [
    'reminder: weekday 8',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 1, '{1,8}')`,
    '23514',
  ],
  [
    'reminder: no weekday',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 1, '{}')`,
    '23514',
  ],
  [
    'reminder: end before start',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, end_date) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 1, '2026-03-10', '2026-03-09')`,
    '23514',
  ],
  [
    'reminder: snooze 0 minutes',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, snooze_minutes) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 1, 0)`,
    '23514',
  ],
  [
    'reminder: unknown slot',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount) VALUES ('${x.medication}', '${x.patient}', 'lunch', '11:30', 1)`,
    '22P02',
  ],
  [
    'reminder: unknown time zone',
    (x) =>
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, timezone) VALUES ('${x.medication}', '${x.patient}', 'noon', '11:30', 1, 'Asia/Atlantis')`,
    '23514',
  ],
  [
    'reminder: counters above the total (adherence > 100 %)',
    (x) => `UPDATE medication_reminders SET taken_count = total_doses + 5 WHERE id = '${x.reminder}'`,
    '23514',
  ],
  [
    'dose log: the same dose twice',
    (x) =>
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for) VALUES ('${x.reminder}', '${x.patient}', '2026-01-01T00:00:00Z')`,
    '23505',
  ],
  [
    'dose log: taken without a time',
    (x) =>
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status) VALUES ('${x.reminder}', '${x.patient}', '2026-01-02T00:00:00Z', 'taken')`,
    '23514',
  ],
  [
    'dose log: snoozed without until',
    (x) =>
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status) VALUES ('${x.reminder}', '${x.patient}', '2026-01-02T00:00:00Z', 'snoozed')`,
    '23514',
  ],
  [
    'payment: negative amount',
    (x) => `INSERT INTO payment_transactions (user_id, amount, provider) VALUES ('${x.patient}', -0.50, 'aba_payway')`,
    '23514',
  ],
  [
    'payment: lower-case currency',
    (x) =>
      `INSERT INTO payment_transactions (user_id, amount, currency, provider) VALUES ('${x.patient}', 0.50, 'usd', 'aba_payway')`,
    '23514',
  ],
  [
    'payment: failed without a reason',
    (x) =>
      `INSERT INTO payment_transactions (user_id, amount, status, provider) VALUES ('${x.patient}', 0.50, 'failed', 'aba_payway')`,
    '23514',
  ],
  [
    'payment: refund above the amount',
    (x) =>
      `INSERT INTO payment_transactions (user_id, amount, status, provider, paid_at, refunded_at, refund_amount) VALUES ('${x.patient}', 0.50, 'refunded', 'wing', now(), now(), 1.00)`,
    '23514',
  ],
  [
    'payment: duplicate provider reference',
    (x) =>
      `INSERT INTO payment_transactions (user_id, amount, provider, provider_reference) VALUES ('${x.patient}', 1, 'wing', 'R1'), ('${x.patient}', 1, 'wing', 'R1')`,
    '23505',
  ],
  [
    'plan: negative price',
    () => `INSERT INTO subscription_plans (code, name, tier, price_amount) VALUES ('bad_plan', 'Bad', 'premium', -1)`,
    '23514',
  ],
  [
    'plan: free plan with a price',
    () => `INSERT INTO subscription_plans (code, name, tier, price_amount) VALUES ('bad_free', 'Bad', 'free', 1)`,
    '23514',
  ],
  [
    'plan: currency USDT',
    () => `INSERT INTO subscription_plans (code, name, tier, currency) VALUES ('bad_cur', 'Bad', 'premium', 'USDT')`,
    '23514',
  ],
  [
    'subscription: period ends before it starts',
    (x) =>
      `INSERT INTO user_subscriptions (user_id, plan_id, current_period_start, current_period_end) VALUES ('${x.patient}', '${seed.plans.premiumMonthly}', now(), now() - interval '1 day')`,
    '23514',
  ],
  [
    'subscription: two current ones',
    (x) =>
      `INSERT INTO user_subscriptions (user_id, plan_id, current_period_end) VALUES ('${x.other}', '${seed.plans.premiumMonthly}', now() + interval '1 month'), ('${x.other}', '${seed.plans.premiumYearly}', now() + interval '1 year')`,
    '23505',
  ],
  [
    'relationship: code with look-alike O',
    (x) =>
      `INSERT INTO doctor_patient_relationships (doctor_id, initiated_by, invitation_code) VALUES ('${x.doctor}', 'doctor', 'ABCDEFGO')`,
    '23514',
  ],
  [
    'relationship: code too short',
    (x) =>
      `INSERT INTO doctor_patient_relationships (doctor_id, initiated_by, invitation_code) VALUES ('${x.doctor}', 'doctor', 'ABC23')`,
    '23514',
  ],
  [
    'relationship: a second live link for the pair',
    (x) =>
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, initiated_by) VALUES ('${x.doctor}', '${x.patient}', 'patient')`,
    '23505',
  ],
  [
    'relationship: doctor_id is a patient',
    (x) =>
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, initiated_by) VALUES ('${x.other}', '${x.patient}', 'patient')`,
    '23514',
  ],
  [
    'relationship: active without both parties',
    (x) =>
      `INSERT INTO doctor_patient_relationships (doctor_id, status, initiated_by, accepted_at) VALUES ('${x.doctor}', 'active', 'doctor', now())`,
    '23514',
  ],
  [
    'clinical note: empty content',
    (x) => `INSERT INTO clinical_notes (doctor_id, patient_id, content) VALUES ('${x.doctor}', '${x.patient}', '  ')`,
    '23514',
  ],
  [
    "clinical note: on another patient's prescription",
    (x) =>
      `INSERT INTO clinical_notes (doctor_id, patient_id, prescription_id, content) VALUES ('${x.doctor}', '${x.other}', '${x.prescription}', 'x')`,
    '23503',
  ],
  [
    'notification: same dedupe key twice',
    (x) =>
      `INSERT INTO notifications (user_id, type, title, dedupe_key) VALUES ('${x.patient}', 'reminder', 'y', 'dose:k1')`,
    '23505',
  ],
  [
    'notification: empty title',
    (x) => `INSERT INTO notifications (user_id, type, title) VALUES ('${x.patient}', 'system', '')`,
    '23514',
  ],
  [
    'usage event: malformed type',
    (x) => `INSERT INTO usage_analytics (user_id, event_type) VALUES ('${x.patient}', 'Bad Event')`,
    '23514',
  ],
  ['audit: malformed action', () => `INSERT INTO audit_logs (action) VALUES ('DROP TABLE')`, '23514'],
  [
    'session: token not a sha256',
    (x) =>
      `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ('${x.patient}', 'abc', now() + interval '1 day')`,
    '23514',
  ],
  [
    'AI message: negative tokens',
    (x) =>
      `WITH c AS (INSERT INTO ai_chat_conversations (user_id) VALUES ('${x.patient}') RETURNING id, user_id) INSERT INTO ai_chat_messages (conversation_id, user_id, role, content, tokens_input) SELECT id, user_id, 'user', 'hi', -1 FROM c`,
    '23514',
  ],
  [
    'AI report: unknown type',
    (x) => `INSERT INTO ai_reports (user_id, report_type) VALUES ('${x.patient}', 'horoscope')`,
    '23514',
  ],
];

describe('constraints', () => {
  it.each(cases)('%s → rejected', async (_label, sql, code) => {
    await expect(t().owner.query(sql(c))).rejects.toMatchObject({ code });
  });

  it('accepts a well-formed row of each kind (the cases above fail for their one reason)', async () => {
    const db = t().owner;
    await db.query(user(', phone, language, timezone', ", '+85512345678', 'fr', 'Europe/Paris'"));
    await db.query(`INSERT INTO payment_transactions (user_id, amount, provider) VALUES ($1, 0, 'aba_payway')`, [
      c.patient,
    ]);
    await db.query(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week, start_date, end_date)
       VALUES ($1, $2, 'noon', '11:30', 0.5, '{1,3,5}', '2026-03-10', '2026-03-10')`,
      [c.medication, c.patient],
    );
    await db.query(`INSERT INTO prescriptions (patient_id, ocr_confidence) VALUES ($1, 1)`, [c.patient]);
  });

  it('normalises invitation codes to upper case', async () => {
    const res = await t().owner.query<{ invitation_code: string }>(
      `INSERT INTO doctor_patient_relationships (doctor_id, initiated_by, invitation_code) VALUES ($1, 'doctor', ' abcd2345 ') RETURNING invitation_code`,
      [c.doctor],
    );
    expect(res.rows[0]?.invitation_code).toBe('ABCD2345');
  });
});
