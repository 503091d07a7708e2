-- 038_dispatch_less_per_dose.sql — less database work per dispatched dose and per missed dose;
-- the same rows, values and guarantees as before.
--
-- 1. dispatch_due_reminders runs without JIT. A batch's plan costs more than jit_above_cost, so
--    every batch compiled its expressions again (80–450 ms per batch of 10,000 on a loaded
--    2-core machine) for row-by-row work that compiled code does not speed up.
-- 2. A batch reads the reminders it claimed by their row address (ctid), which the claim
--    returns: a direct heap fetch instead of a search of the primary key for each of
--    thousands of ids, twice (the doses, the moved reminders). The claim holds each row
--    FOR UPDATE until the batch commits, so no other transaction can move it in between.
-- 3. updated_at: the dispatcher's and mark_missed_doses' UPDATEs (and the counters trigger's)
--    set it themselves, and the set_updated_at trigger of medication_reminders and of the dose
--    logs fires only for an UPDATE that left it unchanged: one PL/pgSQL call fewer per row of
--    these statements; every other UPDATE gets its time from the trigger as before.
-- 4. dose_log_state fires only when it has something to do: a transition that it may refuse
--    (anything but an unchanged status or one out of pending/snoozed to a recorded state), or a
--    snoozed_until, action_at or reason that the new status does not keep. Marking a dose
--    missed, which sets them to NULL itself, no longer calls it.
-- 5. reminder_notification_title names the English slot with a CASE instead of casting the enum
--    to text: the cast (enum_out) is not immutable, so PostgreSQL did not inline the function
--    into the dispatcher's INSERT and ran it as a SQL function call per notification. The titles
--    are the same, letter for letter.

-- Localised reminder texts (km, en, fr). The medicine's name stays in the in-app body only;
-- push and e-mail deliveries use the title alone. (Only immutable operations: inlined per row.)
CREATE OR REPLACE FUNCTION reminder_notification_title(p_language text, p_slot dose_slot) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE p_language
    WHEN 'en' THEN 'Time for your ' ||
                   CASE p_slot WHEN 'morning' THEN 'morning' WHEN 'noon' THEN 'noon' WHEN 'evening' THEN 'evening' ELSE 'night' END || ' medicine'
    WHEN 'fr' THEN 'C''est l''heure de vos médicaments (' ||
                   CASE p_slot WHEN 'morning' THEN 'matin' WHEN 'noon' THEN 'midi' WHEN 'evening' THEN 'soir' ELSE 'nuit' END || ')'
    ELSE 'ដល់ម៉ោងលេបថ្នាំ (' ||
         CASE p_slot WHEN 'morning' THEN 'ព្រឹក' WHEN 'noon' THEN 'ថ្ងៃត្រង់' WHEN 'evening' THEN 'ល្ងាច' ELSE 'យប់' END || ')'
  END
$$;

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

-- Doses still pending (or snoozed) after their reminder's grace window become 'missed'.
CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l
       SET status = 'missed', action_at = NULL, snoozed_until = NULL, reason = NULL, updated_at = now()
    FROM medication_reminders mr
    WHERE mr.id = l.reminder_id AND l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => mr.grace_minutes) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
$$;

CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz, p_grace_minutes integer) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l
       SET status = 'missed', action_at = NULL, snoozed_until = NULL, reason = NULL, updated_at = now()
    WHERE l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => greatest(p_grace_minutes, 1)) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
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
      skipped_count = mr.skipped_count + d.skipped,
      updated_at = now()
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

DROP TRIGGER set_updated_at ON medication_reminders;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminders FOR EACH ROW
    WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION trg_set_updated_at();
DROP TRIGGER set_updated_at ON medication_reminder_logs;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW
    WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION trg_set_updated_at();
-- trg_dose_log_state refuses what dose_log_refusal() refuses and clears the fields the new status
-- does not keep; it is skipped only where it would do neither
DROP TRIGGER dose_log_state ON medication_reminder_logs;
CREATE TRIGGER dose_log_state BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW
    WHEN (NOT ((OLD.status = NEW.status OR (OLD.status IN ('pending', 'snoozed') AND NEW.status <> 'pending'))
               AND (NEW.status = 'snoozed' OR NEW.snoozed_until IS NULL)
               AND (NEW.status IN ('taken', 'skipped') OR NEW.action_at IS NULL)
               AND (NEW.status = 'skipped' OR NEW.reason IS NULL)))
    EXECUTE FUNCTION trg_dose_log_state();

/* migrate:down
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

DROP TRIGGER dose_log_state ON medication_reminder_logs;
CREATE TRIGGER dose_log_state BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_dose_log_state();
DROP TRIGGER set_updated_at ON medication_reminder_logs;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
DROP TRIGGER set_updated_at ON medication_reminders;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminders FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();

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

CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz, p_grace_minutes integer) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l SET status = 'missed', action_at = NULL
    WHERE l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => greatest(p_grace_minutes, 1)) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
$$;

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

CREATE OR REPLACE FUNCTION dispatch_due_reminders(p_now timestamptz, p_limit integer DEFAULT 5000)
RETURNS TABLE (notification_id uuid, user_id uuid, reminder_id uuid, scheduled_for timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
SET enable_seqscan = off
AS $$
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
