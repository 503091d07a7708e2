-- 035_dispatch_conflict_targets.sql — dispatch_due_reminders names its ON CONFLICT targets by
-- their columns instead of by constraint name: (reminder_id, scheduled_for) for the dose logs and
-- (dedupe_key) for the notifications. PostgreSQL infers the unique index from the columns, so the
-- function keeps working when medication_reminder_logs is partitioned by month (its unique key
-- then lives on the partitioned table under another name, with the scheduled time in it).
-- Otherwise the same function as 011 (same results: each due dose logged and notified once).
-- This migration is mirrored at the end of functions/user_functions.sql (after 011).

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

/* migrate:down
-- Due doses (next_reminder_at ≤ p_now) → dose log + notification, then the next time.
-- next_reminder_at is the notification moment: the dose time minus advance_minutes.
CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
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
    ON CONFLICT ON CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key DO NOTHING
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
    ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING
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
