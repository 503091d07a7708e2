-- 009_dispatch_speed.sql — the reminder dispatcher's burst throughput (issue 5: 100,000 due doses
-- at ≥ 5,000 doses/s on 2 cores). Same results, less work per dose:
--  * Dose-log counters on medication_reminders: one statement-level trigger per INSERT and per
--    UPDATE statement (transition tables; per reminder: + the new rows, − the old rows) instead of
--    one PL/pgSQL call and one UPDATE of the reminder per dose log. A batch of 2,000 dispatched
--    doses or a whole tick of doses marked missed is one UPDATE of the reminders. Deleted dose logs
--    (erasure, cascades from a reminder) stay row by row.
--  * medication_reminders audit: updates that change only operational columns (next_reminder_at,
--    last_dispatched_at, the counters, adherence_rate, updated_at) no longer call the audit
--    function at all: a WHEN clause compares every other column (the audited ones). Audit rows
--    of real changes are the same as before (same function, same arguments).
--    A new column of medication_reminders must be added to this WHEN clause
--    (test/database/functions.test.ts checks it).
--  * dispatch_due_reminders: the next occurrence is computed once per claimed reminder (the
--    pulled-up subquery evaluated it twice) and the UPDATE finds its rows by the claimed ids as
--    an index condition (it joined and could scan every reminder per batch). Not a join with an
--    extra "id = ANY (v_ids)": in a generic plan that is a linear array search per row
--    (quadratic: 6 s per batch of 10,000).
-- This migration is mirrored at the end of functions/user_functions.sql (after 004, whose
-- dispatch_due_reminders it replaces).

CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  UPDATE medication_reminders mr SET
      total_doses = mr.total_doses + n.total,
      taken_count = mr.taken_count + n.taken,
      missed_count = mr.missed_count + n.missed,
      skipped_count = mr.skipped_count + n.skipped
  FROM (SELECT l.reminder_id, count(*)::int AS total,
               count(*) FILTER (WHERE l.status = 'taken')::int AS taken,
               count(*) FILTER (WHERE l.status = 'missed')::int AS missed,
               count(*) FILTER (WHERE l.status = 'skipped')::int AS skipped
          FROM new_rows l GROUP BY l.reminder_id) AS n
  WHERE mr.id = n.reminder_id;
  RETURN NULL;
END
$$;

-- Per reminder: the new rows count in, the old rows count out (a log moved to another reminder
-- too); reminders whose counters do not change are not touched.
CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  UPDATE medication_reminders mr SET
      total_doses = mr.total_doses + d.total,
      taken_count = mr.taken_count + d.taken,
      missed_count = mr.missed_count + d.missed,
      skipped_count = mr.skipped_count + d.skipped
  FROM (SELECT x.reminder_id, sum(x.k)::int AS total,
               sum(x.k * (x.status = 'taken')::int)::int AS taken,
               sum(x.k * (x.status = 'missed')::int)::int AS missed,
               sum(x.k * (x.status = 'skipped')::int)::int AS skipped
          FROM (SELECT n.reminder_id, n.status, 1 AS k FROM new_rows n
                UNION ALL
                SELECT o.reminder_id, o.status, -1 AS k FROM old_rows o) AS x
         GROUP BY x.reminder_id) AS d
  WHERE mr.id = d.reminder_id AND (d.total, d.taken, d.missed, d.skipped) <> (0, 0, 0, 0);
  RETURN NULL;
END
$$;

DROP TRIGGER medication_reminder_logs_counters ON medication_reminder_logs;
CREATE TRIGGER medication_reminder_logs_counters_insert AFTER INSERT ON medication_reminder_logs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_insert();
CREATE TRIGGER medication_reminder_logs_counters_update AFTER UPDATE ON medication_reminder_logs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_update();
-- deleted dose logs: row by row with the function of 001 (its DELETE branch)
CREATE TRIGGER medication_reminder_logs_counters_delete AFTER DELETE ON medication_reminder_logs
    FOR EACH ROW EXECUTE FUNCTION trg_medication_reminder_logs_counters();

DROP TRIGGER audit_row_change ON medication_reminders;
CREATE TRIGGER audit_row_change AFTER INSERT OR DELETE ON medication_reminders FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id', 'next_reminder_at', 'last_dispatched_at', 'total_doses',
                                          'taken_count', 'missed_count', 'skipped_count', 'adherence_rate');
CREATE TRIGGER audit_row_change_update AFTER UPDATE ON medication_reminders FOR EACH ROW
    WHEN ((OLD.id, OLD.medication_id, OLD.patient_id, OLD.slot,
          OLD.reminder_time, OLD.dose_amount, OLD.dose_unit, OLD.days_of_week, OLD.start_date, OLD.end_date,
          OLD.timezone, OLD.is_active, OLD.snooze_minutes, OLD.advance_minutes, OLD.grace_minutes, OLD.created_at)
          IS DISTINCT FROM
          (NEW.id, NEW.medication_id, NEW.patient_id, NEW.slot,
          NEW.reminder_time, NEW.dose_amount, NEW.dose_unit, NEW.days_of_week, NEW.start_date, NEW.end_date,
          NEW.timezone, NEW.is_active, NEW.snooze_minutes, NEW.advance_minutes, NEW.grace_minutes, NEW.created_at))
    EXECUTE FUNCTION trg_audit_row_change('patient_id', 'next_reminder_at', 'last_dispatched_at', 'total_doses',
                                          'taken_count', 'missed_count', 'skipped_count', 'adherence_rate');

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
  -- (one sub-SELECT per row, OFFSET 0: reminder_next_occurrence() runs once per row; the claimed
  -- ids are the UPDATE's index condition: no join, no array filter)
  UPDATE medication_reminders mr SET
      (last_dispatched_at, next_reminder_at, is_active) = (
        SELECT p_now, n.next_at - make_interval(mins => mr.advance_minutes), n.next_at IS NOT NULL
        FROM (SELECT reminder_next_occurrence(
                       greatest(mr.next_reminder_at + make_interval(mins => mr.advance_minutes) + interval '1 minute',
                                p_now - make_interval(mins => mr.grace_minutes) + interval '1 minute'),
                       mr.reminder_time, mr.timezone, mr.days_of_week, mr.start_date, mr.end_date) AS next_at
              OFFSET 0) AS n)
  WHERE mr.id = ANY (v_ids);
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

DROP TRIGGER audit_row_change_update ON medication_reminders;
DROP TRIGGER audit_row_change ON medication_reminders;
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON medication_reminders FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id', 'next_reminder_at', 'last_dispatched_at', 'total_doses',
                                          'taken_count', 'missed_count', 'skipped_count', 'adherence_rate');

DROP TRIGGER medication_reminder_logs_counters_delete ON medication_reminder_logs;
DROP TRIGGER medication_reminder_logs_counters_update ON medication_reminder_logs;
DROP TRIGGER medication_reminder_logs_counters_insert ON medication_reminder_logs;
CREATE TRIGGER medication_reminder_logs_counters AFTER INSERT OR UPDATE OR DELETE ON medication_reminder_logs
    FOR EACH ROW EXECUTE FUNCTION trg_medication_reminder_logs_counters();
DROP FUNCTION trg_medication_reminder_logs_counters_update();
DROP FUNCTION trg_medication_reminder_logs_counters_insert();
*/
