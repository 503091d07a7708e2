-- 004_reminder_dispatch.sql — the reminder dispatcher's SQL (also in functions/user_functions.sql).
--
-- The dispatcher (a pg-boss cron job, app.user_role = 'system') calls, in one transaction:
--   dispatch_due_reminders(now, batch)   due doses → one pending dose log + one notification each
--   renotify_snoozed_doses(now)          snoozed doses whose snooze ran out → notified again
--   mark_missed_doses(now)               doses still pending after the grace window → missed
--   alert_missed_streaks(now, n)         n consecutive missed doses → an alert to her doctors
-- Exactly once per dose: the dose log is unique on (reminder_id, scheduled_for) and the
-- notification on its dedupe_key; due reminders are claimed with FOR UPDATE SKIP LOCKED, so two
-- dispatchers running at once split the work instead of doubling it.

-- The first dose time at or after p_from: local date + reminder time in the reminder's time
-- zone, on an allowed ISO weekday, inside [p_start, p_end]. NULL when the schedule has ended.
CREATE OR REPLACE FUNCTION reminder_next_occurrence(p_from timestamptz, p_time time, p_tz text,
                                                    p_days smallint[], p_start date, p_end date)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT (d.day + p_time) AT TIME ZONE p_tz
  FROM generate_series(greatest((p_from AT TIME ZONE p_tz)::date, p_start),
                       greatest((p_from AT TIME ZONE p_tz)::date, p_start) + 8, interval '1 day') AS g(ts)
  CROSS JOIN LATERAL (SELECT g.ts::date AS day) AS d
  WHERE extract(isodow FROM d.day)::smallint = ANY (p_days)
    AND (p_end IS NULL OR d.day <= p_end)
    AND (d.day + p_time) AT TIME ZONE p_tz >= p_from
  ORDER BY d.day
  LIMIT 1
$$;

-- Localised reminder texts (km, en, fr). The medicine's name stays in the in-app body only;
-- push and e-mail deliveries use the title alone.
CREATE OR REPLACE FUNCTION reminder_notification_title(p_language text, p_slot dose_slot) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE p_language
    WHEN 'en' THEN 'Time for your ' || p_slot::text || ' medicine'
    WHEN 'fr' THEN 'C''est l''heure de vos médicaments (' ||
                   CASE p_slot WHEN 'morning' THEN 'matin' WHEN 'noon' THEN 'midi' WHEN 'evening' THEN 'soir' ELSE 'nuit' END || ')'
    ELSE 'ដល់ម៉ោងលេបថ្នាំ (' ||
         CASE p_slot WHEN 'morning' THEN 'ព្រឹក' WHEN 'noon' THEN 'ថ្ងៃត្រង់' WHEN 'evening' THEN 'ល្ងាច' ELSE 'យប់' END || ')'
  END
$$;

-- The channels a user has switched on (in-app always).
CREATE OR REPLACE FUNCTION notification_channels_for(p_preferences jsonb) RETURNS notification_channel[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT ARRAY['in_app'::notification_channel]
         || CASE WHEN coalesce((p_preferences->>'push')::boolean, false) THEN ARRAY['push'::notification_channel] ELSE '{}' END
         || CASE WHEN coalesce((p_preferences->>'email')::boolean, false) THEN ARRAY['email'::notification_channel] ELSE '{}' END
$$;

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
  )
  SELECT c.id, c.user_id, c.reminder_id, c.scheduled_for FROM created c;

  -- the next dose of each claimed reminder: after the one just dispatched, and never one already
  -- past its grace window (after an outage the schedule resumes instead of replaying old doses)
  UPDATE medication_reminders mr SET
      last_dispatched_at = p_now,
      next_reminder_at = n.next_at - make_interval(mins => mr.advance_minutes),
      is_active = n.next_at IS NOT NULL
  FROM (
    SELECT r.id, reminder_next_occurrence(
                   greatest(r.next_reminder_at + make_interval(mins => r.advance_minutes) + interval '1 minute',
                            p_now - make_interval(mins => r.grace_minutes) + interval '1 minute'),
                   r.reminder_time, r.timezone, r.days_of_week, r.start_date, r.end_date) AS next_at
    FROM medication_reminders r WHERE r.id = ANY (v_ids)
  ) AS n
  WHERE mr.id = n.id;
END
$$;

-- Snoozed doses whose snooze has run out are notified once more (one notification per snooze).
CREATE OR REPLACE FUNCTION renotify_snoozed_doses(p_now timestamptz)
RETURNS TABLE (notification_id uuid, user_id uuid)
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH due AS (
    SELECT l.id, l.reminder_id, l.patient_id, l.scheduled_for, l.snoozed_until
    FROM medication_reminder_logs l
    WHERE l.status = 'snoozed' AND l.snoozed_until <= p_now AND (l.notified_at IS NULL OR l.notified_at < l.snoozed_until)
    FOR UPDATE SKIP LOCKED
  ), marked AS (
    UPDATE medication_reminder_logs l SET notified_at = p_now FROM due WHERE l.id = due.id RETURNING l.id
  ), created AS (
    INSERT INTO notifications (user_id, type, title, body, data, channels, dedupe_key)
    SELECT due.patient_id, 'reminder',
           reminder_notification_title(u.language, mr.slot),
           m.name || coalesce(' ' || m.strength, '') || ' — ' || trim_scale(mr.dose_amount)::text || ' ' || mr.dose_unit,
           jsonb_build_object('reminder_id', mr.id, 'medication_id', m.id, 'log_id', due.id,
                              'scheduled_for', due.scheduled_for, 'slot', mr.slot, 'snoozed', true),
           notification_channels_for(u.notification_preferences),
           'snooze:' || due.id || ':' || to_char(due.snoozed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    FROM due
    JOIN marked ON marked.id = due.id
    JOIN medication_reminders mr ON mr.id = due.reminder_id
    JOIN medications m ON m.id = mr.medication_id
    JOIN users u ON u.id = due.patient_id
    ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING
    RETURNING notifications.id, notifications.user_id
  )
  SELECT id, user_id FROM created
$$;

-- Doses still pending (or snoozed) after their reminder's grace window become 'missed'.
CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l SET status = 'missed', action_at = NULL
    FROM medication_reminders mr
    WHERE mr.id = l.reminder_id AND l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => mr.grace_minutes) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
$$;

-- After p_threshold consecutive missed doses of one reminder, each doctor of the patient who
-- may view her prescriptions gets one alert per streak (dedupe on the streak's first dose).
CREATE OR REPLACE FUNCTION alert_missed_streaks(p_now timestamptz, p_threshold integer DEFAULT 3)
RETURNS TABLE (notification_id uuid, user_id uuid)
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH recent AS (  -- reminders with a missed dose in the last day: the only ones that can start an alert
    SELECT DISTINCT l.reminder_id FROM medication_reminder_logs l
    WHERE l.status = 'missed' AND l.scheduled_for > p_now - interval '2 days'
  ), streak AS (
    SELECT r.reminder_id, s.streak_start, s.missed
    FROM recent r
    CROSS JOIN LATERAL (
      SELECT min(x.scheduled_for) AS streak_start, count(*) AS missed
      FROM medication_reminder_logs x
      WHERE x.reminder_id = r.reminder_id AND x.status = 'missed'
        AND x.scheduled_for > coalesce((SELECT max(y.scheduled_for) FROM medication_reminder_logs y
                                        WHERE y.reminder_id = r.reminder_id AND y.status IN ('taken', 'skipped')),
                                       '-infinity'::timestamptz)
    ) AS s
    WHERE s.missed >= p_threshold
  ), created AS (
    INSERT INTO notifications (user_id, type, title, body, data, channels, dedupe_key)
    SELECT rel.doctor_id, 'missed_dose',
           CASE d.language WHEN 'km' THEN 'អ្នកជំងឺខកខានលេបថ្នាំ' WHEN 'fr' THEN 'Doses manquées' ELSE 'Missed doses' END,
           p.first_name || ' ' || p.last_name || ': ' || st.missed || ' × ' || m.name,
           jsonb_build_object('patient_id', mr.patient_id, 'reminder_id', mr.id, 'medication_id', m.id,
                              'missed', st.missed, 'since', st.streak_start),
           notification_channels_for(d.notification_preferences),
           'missed-streak:' || rel.doctor_id || ':' || mr.id || ':' ||
             to_char(st.streak_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    FROM streak st
    JOIN medication_reminders mr ON mr.id = st.reminder_id
    JOIN medications m ON m.id = mr.medication_id
    JOIN users p ON p.id = mr.patient_id
    JOIN doctor_patient_relationships rel ON rel.patient_id = mr.patient_id AND rel.status = 'active'
                                          AND rel.can_view_prescriptions AND rel.doctor_id IS NOT NULL
    JOIN users d ON d.id = rel.doctor_id AND d.is_active
    ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING
    RETURNING notifications.id, notifications.user_id
  )
  SELECT id, user_id FROM created
$$;

GRANT EXECUTE ON FUNCTION reminder_next_occurrence(timestamptz, time, text, smallint[], date, date),
                          reminder_notification_title(text, dose_slot),
                          notification_channels_for(jsonb),
                          dispatch_due_reminders(timestamptz, integer),
                          renotify_snoozed_doses(timestamptz),
                          mark_missed_doses(timestamptz),
                          alert_missed_streaks(timestamptz, integer)
   TO dastern_app;

/* migrate:down
DROP FUNCTION IF EXISTS alert_missed_streaks(timestamptz, integer);
DROP FUNCTION IF EXISTS mark_missed_doses(timestamptz);
DROP FUNCTION IF EXISTS renotify_snoozed_doses(timestamptz);
DROP FUNCTION IF EXISTS dispatch_due_reminders(timestamptz, integer);
DROP FUNCTION IF EXISTS notification_channels_for(jsonb);
DROP FUNCTION IF EXISTS reminder_notification_title(text, dose_slot);
DROP FUNCTION IF EXISTS reminder_next_occurrence(timestamptz, time, text, smallint[], date, date);
*/
