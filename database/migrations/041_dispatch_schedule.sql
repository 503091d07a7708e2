-- 041_dispatch_schedule.sql — the due reminders are found through a narrow schedule table, so
-- that a dispatched dose moves its reminder with a HOT update (no new index entries).
--
-- Before, next_reminder_at was indexed on medication_reminders itself: moving a reminder to its
-- next dose changed an indexed column, so every dispatched dose wrote a new version of the wide
-- reminder row on another page and an entry in each of its 5 indexes (4 of them keyed by random
-- uuids: a random leaf page each, out of indexes larger than shared_buffers at 1,000,000
-- reminders). Now:
-- 1. medication_reminder_schedule (reminder_id, next_at): one row per active reminder with a
--    next time, next_at = its next_reminder_at, kept so by the triggers below for every other
--    writer; (next_at, reminder_id) is the dispatcher's claim order. The index on
--    medication_reminders.next_reminder_at goes, and with it the last indexed column that a
--    dispatch changes (is_active changes only when a schedule ends).
-- 2. dispatch_due_reminders claims the schedule rows and their reminders together (FOR UPDATE OF
--    both, SKIP LOCKED: a claimed reminder is re-checked on its latest version, as before), moves
--    the reminder (HOT when its page has room) and the narrow schedule row (2 index entries), or
--    deletes the schedule row when the schedule has ended. Same rows and values as 038.
-- 3. medication_reminders gets fillfactor 80: room on each page for the new versions of its
--    reminders (the move, and the counters that marking a dose missed or taken updates, also
--    HOT now). It applies to pages written from now on.
-- The triggers skip the dispatcher's own UPDATE (app.dispatch_counts_logs = 'on' only inside
-- dispatch_due_reminders' statement), which moves the schedule row itself.

CREATE TABLE medication_reminder_schedule (
    reminder_id uuid PRIMARY KEY REFERENCES medication_reminders (id) ON DELETE CASCADE,
    next_at timestamptz NOT NULL
);
COMMENT ON TABLE medication_reminder_schedule IS
  'The next time of each active reminder (= medication_reminders.next_reminder_at), kept by triggers; the dispatcher''s claim order.';
CREATE INDEX idx_medication_reminder_schedule_next_at ON medication_reminder_schedule (next_at, reminder_id);
ALTER TABLE medication_reminder_schedule ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_schedule FORCE ROW LEVEL SECURITY;
-- the dispatcher ('system') only; every other change goes through the triggers below
CREATE POLICY medication_reminder_schedule_system ON medication_reminder_schedule
    USING ((SELECT app_is_system())) WITH CHECK ((SELECT app_is_system()));
GRANT SELECT, UPDATE, DELETE ON medication_reminder_schedule TO dastern_app;

INSERT INTO medication_reminder_schedule (reminder_id, next_at)
SELECT id, next_reminder_at FROM medication_reminders WHERE is_active AND next_reminder_at IS NOT NULL;

-- A reminder's schedule row follows its next_reminder_at and is_active.
CREATE FUNCTION trg_medication_reminders_schedule() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF NEW.is_active AND NEW.next_reminder_at IS NOT NULL THEN
    INSERT INTO medication_reminder_schedule AS s (reminder_id, next_at) VALUES (NEW.id, NEW.next_reminder_at)
    ON CONFLICT (reminder_id) DO UPDATE SET next_at = excluded.next_at WHERE s.next_at <> excluded.next_at;
  ELSE
    DELETE FROM medication_reminder_schedule WHERE reminder_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER schedule_insert AFTER INSERT ON medication_reminders FOR EACH ROW
    WHEN (NEW.is_active AND NEW.next_reminder_at IS NOT NULL)
    EXECUTE FUNCTION trg_medication_reminders_schedule();
CREATE TRIGGER schedule_update AFTER UPDATE OF next_reminder_at, is_active ON medication_reminders FOR EACH ROW
    WHEN ((OLD.next_reminder_at, OLD.is_active) IS DISTINCT FROM (NEW.next_reminder_at, NEW.is_active)
          AND current_setting('app.dispatch_counts_logs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION trg_medication_reminders_schedule();

DROP INDEX idx_medication_reminders_next_reminder_at;
ALTER TABLE medication_reminders SET (fillfactor = 80);

CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- every statement below reaches its rows through an index or by their row address (036, 038)
SET enable_seqscan = off
-- row-by-row work: compiling a batch's expressions costs more than it saves (038)
SET jit = off
AS $$
-- the conflict targets name columns that are also this function's output columns
#variable_conflict use_column
DECLARE
  v_rows tid[];
  v_slots tid[];
BEGIN
  -- the schedule row and its reminder, both locked (a row moved meanwhile is re-checked on its
  -- latest version, and skipped when no longer due)
  SELECT array_agg(c.r), array_agg(c.s) INTO v_rows, v_slots FROM (
    SELECT mr.ctid AS r, s.ctid AS s
    FROM medication_reminder_schedule s
    JOIN medication_reminders mr ON mr.id = s.reminder_id
    WHERE s.next_at <= p_now AND mr.is_active AND mr.next_reminder_at <= p_now
    ORDER BY s.next_at, s.reminder_id
    LIMIT p_limit
    FOR UPDATE OF s, mr SKIP LOCKED) AS c;
  IF v_rows IS NULL THEN
    RETURN;
  END IF;

  -- the dose logs of this statement are counted by its UPDATE below, not by the insert trigger;
  -- the reminders' schedule rows are moved by the statement itself, not by the schedule trigger
  PERFORM set_config('app.dispatch_counts_logs', 'on', true);
  RETURN QUERY
  WITH due AS MATERIALIZED (
    SELECT mr.id, mr.patient_id, mr.slot, mr.dose_amount, mr.dose_unit, mr.medication_id,
           mr.next_reminder_at + make_interval(mins => mr.advance_minutes) AS dose_at,
           med.name, med.strength, pat.language, pat.notification_preferences
    FROM medication_reminders mr
    CROSS JOIN LATERAL (SELECT m.name, m.strength FROM medications m WHERE m.id = mr.medication_id OFFSET 0) AS med
    CROSS JOIN LATERAL (SELECT u.language, u.notification_preferences FROM users u WHERE u.id = mr.patient_id OFFSET 0) AS pat
    -- the rows claimed above (locked by this transaction: their address cannot change)
    WHERE mr.ctid = ANY (v_rows)
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
    -- rows are a TID scan; "IN (logs)" is one hashed subplan, not a search per row)
    UPDATE medication_reminders mr SET
        (last_dispatched_at, next_reminder_at, is_active) = (
          SELECT p_now, n.next_at - make_interval(mins => mr.advance_minutes), n.next_at IS NOT NULL
          FROM (SELECT reminder_next_occurrence(
                         greatest(mr.next_reminder_at + make_interval(mins => mr.advance_minutes) + interval '1 minute',
                                  p_now - make_interval(mins => mr.grace_minutes) + interval '1 minute'),
                         mr.reminder_time, mr.timezone, mr.days_of_week, mr.start_date, mr.end_date) AS next_at
                OFFSET 0) AS n),
        total_doses = mr.total_doses + (mr.id IN (SELECT l.reminder_id FROM logs l))::int,
        updated_at = now()
    WHERE mr.ctid = ANY (v_rows)
    RETURNING mr.id, mr.next_reminder_at, mr.is_active
  ), rescheduled AS (
    UPDATE medication_reminder_schedule s SET next_at = m.next_reminder_at
    FROM moved m
    WHERE s.ctid = ANY (v_slots) AND s.reminder_id = m.id AND m.is_active
  ), ended AS (
    DELETE FROM medication_reminder_schedule s
    USING moved m
    WHERE s.ctid = ANY (v_slots) AND s.reminder_id = m.id AND NOT m.is_active
  )
  SELECT c.id, c.user_id, c.reminder_id, c.scheduled_for FROM created c;
  PERFORM set_config('app.dispatch_counts_logs', '', true);
END
$$;

/* migrate:down
CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- every statement below reaches its rows through an index or by their row address (036, 038)
SET enable_seqscan = off
-- row-by-row work: compiling a batch's expressions costs more than it saves (038)
SET jit = off
AS $$
-- the conflict targets name columns that are also this function's output columns
#variable_conflict use_column
DECLARE
  v_rows tid[];
BEGIN
  SELECT array_agg(r.ctid) INTO v_rows FROM (
    SELECT mr.ctid FROM medication_reminders mr
    WHERE mr.is_active AND mr.next_reminder_at <= p_now
    ORDER BY mr.next_reminder_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED) AS r;
  IF v_rows IS NULL THEN
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
    -- the rows claimed above (locked by this transaction: their address cannot change)
    WHERE mr.ctid = ANY (v_rows)
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
    -- rows are a TID scan; "IN (logs)" is one hashed subplan, not a search per row)
    UPDATE medication_reminders mr SET
        (last_dispatched_at, next_reminder_at, is_active) = (
          SELECT p_now, n.next_at - make_interval(mins => mr.advance_minutes), n.next_at IS NOT NULL
          FROM (SELECT reminder_next_occurrence(
                         greatest(mr.next_reminder_at + make_interval(mins => mr.advance_minutes) + interval '1 minute',
                                  p_now - make_interval(mins => mr.grace_minutes) + interval '1 minute'),
                         mr.reminder_time, mr.timezone, mr.days_of_week, mr.start_date, mr.end_date) AS next_at
                OFFSET 0) AS n),
        total_doses = mr.total_doses + (mr.id IN (SELECT l.reminder_id FROM logs l))::int,
        updated_at = now()
    WHERE mr.ctid = ANY (v_rows)
  )
  SELECT c.id, c.user_id, c.reminder_id, c.scheduled_for FROM created c;
  PERFORM set_config('app.dispatch_counts_logs', '', true);
END
$$;

ALTER TABLE medication_reminders RESET (fillfactor);
CREATE INDEX idx_medication_reminders_next_reminder_at ON medication_reminders (next_reminder_at) WHERE is_active;
DROP TRIGGER schedule_update ON medication_reminders;
DROP TRIGGER schedule_insert ON medication_reminders;
DROP FUNCTION trg_medication_reminders_schedule();
DROP TABLE medication_reminder_schedule;
*/
