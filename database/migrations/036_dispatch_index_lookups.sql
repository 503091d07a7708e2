-- 036_dispatch_index_lookups.sql — a dispatch batch costs the same whatever the size of the tables
-- (a burst of 1,000,000 doses is dispatched in batches of 10,000 or more).
--
-- 1. dispatch_due_reminders reads the claimed reminders, their medicine and their patient by
--    index, row by row. Before, the planner estimated the claimed ids as a tenth of the table and
--    joined by hashing all medications and all users, and moved the reminders with a sequential
--    scan of medication_reminders: every batch read the whole of three tables, so a burst took
--    time in proportion to (due doses × table size). Now: the medicine and the patient are
--    LATERAL lookups by primary key (OFFSET 0 keeps them nested-loop lookups) and the
--    function's statements run with enable_seqscan off (each of them finds its rows through an
--    index: the due reminders, the claimed ids, the conflict keys). Same results as 035: each due
--    dose gets its dose log and notification once, and its reminder moves to the next time.
-- 2. medication_reminders: the unique key that the dose logs' foreign key needs becomes
--    (patient_id, id) instead of (id, patient_id), and the index on patient_id alone goes: the
--    new key serves both (a foreign key takes a unique key of the same columns in any order).
--    A dispatched dose moves its reminder to its next time, a new row version that is not HOT
--    (next_reminder_at is indexed): one index entry fewer per dose.

-- Due doses (next_reminder_at ≤ p_now) → dose log + notification, then the next time.
-- next_reminder_at is the notification moment: the dose time minus advance_minutes.
CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- every statement below reaches its rows through an index (see the header of migration 036)
SET enable_seqscan = off
AS $$
-- the conflict targets name columns that are also this function's output columns
#variable_conflict use_column
DECLARE
  v_ids uuid[];
BEGIN
  SELECT array_agg(r.id) INTO v_ids FROM (
    SELECT mr.id FROM medication_reminders mr
    WHERE mr.is_active AND mr.next_reminder_at <= p_now
    ORDER BY mr.next_reminder_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED) AS r;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;

  -- the dose logs of this statement are counted by its UPDATE below, not by the insert trigger
  PERFORM set_config('app.dispatch_counts_logs', 'on', true);
  RETURN QUERY
  WITH due AS MATERIALIZED (
    SELECT mr.id, mr.patient_id, mr.slot, mr.dose_amount, mr.dose_unit, mr.medication_id,
           mr.next_reminder_at + make_interval(mins => mr.advance_minutes) AS dose_at,
           med.name, med.strength, pat.language, pat.notification_preferences
    FROM medication_reminders mr
    CROSS JOIN LATERAL (SELECT m.name, m.strength FROM medications m WHERE m.id = mr.medication_id OFFSET 0) AS med
    CROSS JOIN LATERAL (SELECT u.language, u.notification_preferences FROM users u WHERE u.id = mr.patient_id OFFSET 0) AS pat
    WHERE mr.id = ANY (v_ids)
      -- a dose already past its grace window (the dispatcher was down) is not notified late
      AND mr.next_reminder_at + make_interval(mins => mr.advance_minutes + mr.grace_minutes) > p_now
  ), logs AS (
    INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, notified_at)
    SELECT due.id, due.patient_id, due.dose_at, p_now FROM due
    ON CONFLICT (reminder_id, scheduled_for) DO NOTHING
    RETURNING medication_reminder_logs.id, medication_reminder_logs.reminder_id, medication_reminder_logs.scheduled_for
  ), created AS (
    INSERT INTO notifications (user_id, type, title, body, data, channels, dedupe_key)
    SELECT due.patient_id, 'reminder',
           reminder_notification_title(due.language, due.slot),
           due.name || coalesce(' ' || due.strength, '') || ' — ' || trim_scale(due.dose_amount)::text || ' ' || due.dose_unit,
           jsonb_build_object('reminder_id', due.id, 'medication_id', due.medication_id, 'log_id', logs.id,
                              'scheduled_for', logs.scheduled_for, 'slot', due.slot),
           notification_channels_for(due.notification_preferences),
           'dose:' || due.id || ':' || to_char(logs.scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    FROM logs
    JOIN due ON due.id = logs.reminder_id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING notifications.id, notifications.user_id, (notifications.data->>'reminder_id')::uuid AS reminder_id,
              (notifications.data->>'scheduled_for')::timestamptz AS scheduled_for
  ), moved AS (
    -- the next dose of each claimed reminder: after the one just dispatched, and never one already
    -- past its grace window (after an outage the schedule resumes instead of replaying old doses);
    -- total_doses + 1 when this statement inserted its dose log (at most one per reminder).
    -- (one sub-SELECT per row, OFFSET 0: reminder_next_occurrence() runs once per row; the claimed
    -- ids are the UPDATE's index condition; "IN (logs)" is one hashed subplan, not a search per row)
    UPDATE medication_reminders mr SET
        (last_dispatched_at, next_reminder_at, is_active) = (
          SELECT p_now, n.next_at - make_interval(mins => mr.advance_minutes), n.next_at IS NOT NULL
          FROM (SELECT reminder_next_occurrence(
                         greatest(mr.next_reminder_at + make_interval(mins => mr.advance_minutes) + interval '1 minute',
                                  p_now - make_interval(mins => mr.grace_minutes) + interval '1 minute'),
                         mr.reminder_time, mr.timezone, mr.days_of_week, mr.start_date, mr.end_date) AS next_at
                OFFSET 0) AS n),
        total_doses = mr.total_doses + (mr.id IN (SELECT l.reminder_id FROM logs l))::int
    WHERE mr.id = ANY (v_ids)
  )
  SELECT c.id, c.user_id, c.reminder_id, c.scheduled_for FROM created c;
  PERFORM set_config('app.dispatch_counts_logs', '', true);
END
$$;

ALTER TABLE medication_reminder_logs DROP CONSTRAINT medication_reminder_logs_reminder_fkey;
ALTER TABLE medication_reminders DROP CONSTRAINT medication_reminders_id_patient_id_key;
ALTER TABLE medication_reminders ADD CONSTRAINT medication_reminders_patient_id_id_key UNIQUE (patient_id, id);
DROP INDEX idx_medication_reminders_patient_id;
ALTER TABLE medication_reminder_logs ADD CONSTRAINT medication_reminder_logs_reminder_fkey
  FOREIGN KEY (reminder_id, patient_id) REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE;

/* migrate:down
ALTER TABLE medication_reminder_logs DROP CONSTRAINT medication_reminder_logs_reminder_fkey;
ALTER TABLE medication_reminders DROP CONSTRAINT medication_reminders_patient_id_id_key;
ALTER TABLE medication_reminders ADD CONSTRAINT medication_reminders_id_patient_id_key UNIQUE (id, patient_id);
CREATE INDEX idx_medication_reminders_patient_id ON medication_reminders (patient_id);
ALTER TABLE medication_reminder_logs ADD CONSTRAINT medication_reminder_logs_reminder_fkey
  FOREIGN KEY (reminder_id, patient_id) REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE;

-- Due doses (next_reminder_at ≤ p_now) → dose log + notification, then the next time.
-- next_reminder_at is the notification moment: the dose time minus advance_minutes.
CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
-- the conflict targets name columns that are also this function's output columns
#variable_conflict use_column
DECLARE
  v_ids uuid[];
BEGIN
  SELECT array_agg(r.id) INTO v_ids FROM (
    SELECT mr.id FROM medication_reminders mr
    WHERE mr.is_active AND mr.next_reminder_at <= p_now
    ORDER BY mr.next_reminder_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED) AS r;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;

  -- the dose logs of this statement are counted by its UPDATE below, not by the insert trigger
  PERFORM set_config('app.dispatch_counts_logs', 'on', true);
  RETURN QUERY
  WITH due AS (
    SELECT mr.id, mr.patient_id, mr.slot, mr.dose_amount, mr.dose_unit, mr.medication_id,
           mr.next_reminder_at + make_interval(mins => mr.advance_minutes) AS dose_at
    FROM medication_reminders mr WHERE mr.id = ANY (v_ids)
      -- a dose already past its grace window (the dispatcher was down) is not notified late
      AND mr.next_reminder_at + make_interval(mins => mr.advance_minutes + mr.grace_minutes) > p_now
  ), logs AS (
    INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, notified_at)
    SELECT due.id, due.patient_id, due.dose_at, p_now FROM due
    ON CONFLICT (reminder_id, scheduled_for) DO NOTHING
    RETURNING medication_reminder_logs.id, medication_reminder_logs.reminder_id, medication_reminder_logs.scheduled_for
  ), created AS (
    INSERT INTO notifications (user_id, type, title, body, data, channels, dedupe_key)
    SELECT due.patient_id, 'reminder',
           reminder_notification_title(u.language, due.slot),
           m.name || coalesce(' ' || m.strength, '') || ' — ' || trim_scale(due.dose_amount)::text || ' ' || due.dose_unit,
           jsonb_build_object('reminder_id', due.id, 'medication_id', due.medication_id, 'log_id', logs.id,
                              'scheduled_for', logs.scheduled_for, 'slot', due.slot),
           notification_channels_for(u.notification_preferences),
           'dose:' || due.id || ':' || to_char(logs.scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    FROM logs
    JOIN due ON due.id = logs.reminder_id
    JOIN medications m ON m.id = due.medication_id
    JOIN users u ON u.id = due.patient_id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING notifications.id, notifications.user_id, (notifications.data->>'reminder_id')::uuid AS reminder_id,
              (notifications.data->>'scheduled_for')::timestamptz AS scheduled_for
  ), moved AS (
    -- the next dose of each claimed reminder: after the one just dispatched, and never one already
    -- past its grace window (after an outage the schedule resumes instead of replaying old doses);
    -- total_doses + 1 when this statement inserted its dose log (at most one per reminder).
    -- (one sub-SELECT per row, OFFSET 0: reminder_next_occurrence() runs once per row; the claimed
    -- ids are the UPDATE's index condition; "IN (logs)" is one hashed subplan, not a search per row)
    UPDATE medication_reminders mr SET
        (last_dispatched_at, next_reminder_at, is_active) = (
          SELECT p_now, n.next_at - make_interval(mins => mr.advance_minutes), n.next_at IS NOT NULL
          FROM (SELECT reminder_next_occurrence(
                         greatest(mr.next_reminder_at + make_interval(mins => mr.advance_minutes) + interval '1 minute',
                                  p_now - make_interval(mins => mr.grace_minutes) + interval '1 minute'),
                         mr.reminder_time, mr.timezone, mr.days_of_week, mr.start_date, mr.end_date) AS next_at
                OFFSET 0) AS n),
        total_doses = mr.total_doses + (mr.id IN (SELECT l.reminder_id FROM logs l))::int
    WHERE mr.id = ANY (v_ids)
  )
  SELECT c.id, c.user_id, c.reminder_id, c.scheduled_for FROM created c;
  PERFORM set_config('app.dispatch_counts_logs', '', true);
END
$$;
*/
