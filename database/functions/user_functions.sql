-- =============================================================================
-- DasTern V2 — business functions (idempotent: CREATE OR REPLACE)
--
--   psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/functions/user_functions.sql
--
-- Needs database/schema.sql. database/migrations/002_user_functions.sql carries the same
-- text (its up part) plus a down part.
--
-- Rights: functions that only read what the caller may see run as the caller (SECURITY
-- INVOKER), so row level security decides: get_active_reminders, get_adherence_statistics,
-- the statistics (admins see everything, others only their own rows) and the maintenance
-- tasks (run them as the owner, or as dastern_app with app.user_role = 'system').
-- Functions that must count rows the caller cannot see (usage events, other users'
-- invitation codes, subscriptions) are SECURITY DEFINER and check app_can_act_for().
-- =============================================================================

SET client_min_messages = warning;

-- Is p_user_id on a premium plan right now (active or trialing, inside the paid period)?
CREATE OR REPLACE FUNCTION user_has_premium_subscription(p_user_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT app_can_act_for(p_user_id) THEN
    RAISE EXCEPTION 'permission denied for another user''s subscription' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN EXISTS (
    SELECT 1
    FROM user_subscriptions s
    JOIN subscription_plans pl ON pl.id = s.plan_id
    WHERE s.user_id = p_user_id
      AND pl.tier = 'premium'
      AND s.status IN ('active', 'trialing')
      AND s.current_period_start <= now()
      AND s.current_period_end > now());
END
$$;

-- The AI quota of p_user_id for the current calendar month (in the user's time zone).
-- AI requests are the usage_analytics events of type 'ai_request' (one per request the
-- service sends to the model). monthly_limit NULL = unlimited; 0 for non-premium users.
CREATE OR REPLACE FUNCTION get_ai_quota(p_user_id uuid)
RETURNS TABLE (is_premium boolean, monthly_limit integer, used_this_month integer, remaining integer,
               month_start timestamptz, month_end timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_tz text;
  v_limits jsonb;
  v_premium boolean;
  v_limit integer;
  v_used integer;
  v_start timestamptz;
  v_end timestamptz;
BEGIN
  IF NOT app_can_act_for(p_user_id) THEN
    RAISE EXCEPTION 'permission denied for another user''s quota' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT u.timezone INTO v_tz FROM users u WHERE u.id = p_user_id;
  v_tz := coalesce(v_tz, 'Asia/Phnom_Penh');
  v_start := date_trunc('month', now() AT TIME ZONE v_tz) AT TIME ZONE v_tz;
  v_end := (date_trunc('month', now() AT TIME ZONE v_tz) + interval '1 month') AT TIME ZONE v_tz;
  SELECT pl.limits INTO v_limits
  FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
  WHERE s.user_id = p_user_id AND pl.tier = 'premium' AND s.status IN ('active', 'trialing')
    AND s.current_period_start <= now() AND s.current_period_end > now()
  ORDER BY s.current_period_end DESC
  LIMIT 1;
  v_premium := FOUND;
  IF v_premium THEN
    v_limit := CASE WHEN jsonb_typeof(v_limits -> 'ai_requests_per_month') = 'number'
                    THEN (v_limits ->> 'ai_requests_per_month')::numeric::integer END;
  ELSE
    v_limit := 0;
  END IF;
  SELECT count(*)::integer INTO v_used
  FROM usage_analytics a
  WHERE a.user_id = p_user_id AND a.event_type = 'ai_request' AND a.occurred_at >= v_start AND a.occurred_at < v_end;
  RETURN QUERY SELECT v_premium, v_limit, v_used,
                      CASE WHEN v_limit IS NULL THEN NULL ELSE greatest(v_limit - v_used, 0) END,
                      v_start, v_end;
END
$$;

-- May p_user_id send one more AI request? Premium AND below the plan's monthly AI quota.
CREATE OR REPLACE FUNCTION can_make_ai_request(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT q.is_premium AND (q.monthly_limit IS NULL OR q.used_this_month < q.monthly_limit)
  FROM get_ai_quota(p_user_id) AS q
$$;

-- May p_user_id upload one more prescription? Free tier: fewer than the free plan's
-- max_prescriptions (10) non-deleted prescriptions; premium: the plan's limit (null = unlimited).
-- Takes a per-user transaction lock, so two uploads racing for the 10th slot are serialised:
-- call it in the same transaction as the INSERT.
CREATE OR REPLACE FUNCTION can_create_prescription(p_user_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_limits jsonb;
  v_limit integer;
  v_count integer;
BEGIN
  IF NOT app_can_act_for(p_user_id) THEN
    RAISE EXCEPTION 'permission denied for another user''s quota' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.is_active AND u.deleted_at IS NULL) THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(727374827, hashtext(p_user_id::text));
  SELECT pl.limits INTO v_limits
  FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
  WHERE s.user_id = p_user_id AND s.status IN ('active', 'trialing')
    AND s.current_period_start <= now() AND s.current_period_end > now()
  ORDER BY (pl.tier = 'premium') DESC, s.current_period_end DESC
  LIMIT 1;
  IF NOT FOUND THEN
    SELECT pl.limits INTO v_limits FROM subscription_plans pl WHERE pl.code = 'free';
    v_limits := coalesce(v_limits, '{"max_prescriptions": 10}'::jsonb);
  END IF;
  IF jsonb_typeof(v_limits -> 'max_prescriptions') <> 'number' THEN
    RETURN true;  -- no limit
  END IF;
  v_limit := (v_limits ->> 'max_prescriptions')::numeric::integer;
  SELECT count(*)::integer INTO v_count FROM prescriptions p WHERE p.patient_id = p_user_id AND p.deleted_at IS NULL;
  RETURN v_count < v_limit;
END
$$;

-- Today's doses of p_user_id: active reminders of active medications whose date range
-- contains today and whose days_of_week contain today's ISO weekday, "today" being the
-- reminder's own time zone (the patient's). scheduled_at is today's dose time; log_id /
-- log_status the dose log of that dose, when one exists. Row level security applies.
CREATE OR REPLACE FUNCTION get_active_reminders(p_user_id uuid)
RETURNS TABLE (reminder_id uuid, medication_id uuid, prescription_id uuid, medication_name text, strength text,
               form text, slot dose_slot, reminder_time time, scheduled_at timestamptz, dose_amount numeric,
               dose_unit text, instructions text, take_after_meal boolean, take_before_meal boolean,
               timezone text, next_reminder_at timestamptz, log_id uuid, log_status reminder_log_status)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.medication_id, m.prescription_id, m.name, m.strength, m.form, r.slot, r.reminder_time,
         (d.today + r.reminder_time) AT TIME ZONE r.timezone, r.dose_amount, r.dose_unit, m.instructions,
         m.take_after_meal, m.take_before_meal, r.timezone, r.next_reminder_at, l.id, l.status
  FROM medication_reminders r
  JOIN medications m ON m.id = r.medication_id
  JOIN prescriptions p ON p.id = m.prescription_id
  CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE r.timezone)::date AS today) AS d
  LEFT JOIN medication_reminder_logs l
         ON l.reminder_id = r.id AND l.scheduled_for = (d.today + r.reminder_time) AT TIME ZONE r.timezone
  WHERE r.patient_id = p_user_id
    AND r.is_active
    AND m.is_active
    AND p.deleted_at IS NULL
    AND r.start_date <= d.today
    AND (r.end_date IS NULL OR r.end_date >= d.today)
    AND extract(isodow FROM d.today)::smallint = ANY (r.days_of_week)
  ORDER BY r.reminder_time, m.name, r.id
$$;

-- Adherence of p_patient_id per medication between p_from and p_to (inclusive, in the
-- patient's time zone): doses scheduled, taken, missed, skipped, still open, and the rate
-- taken / (taken + missed + skipped) in percent (NULL when nothing was due). RLS applies.
CREATE OR REPLACE FUNCTION get_adherence_statistics(p_patient_id uuid, p_from date DEFAULT CURRENT_DATE - 29,
                                                    p_to date DEFAULT CURRENT_DATE)
RETURNS TABLE (medication_id uuid, prescription_id uuid, medication_name text, strength text,
               scheduled_doses bigint, taken bigint, missed bigint, skipped bigint, open_doses bigint,
               adherence_rate numeric)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  WITH tz AS (
    SELECT coalesce((SELECT u.timezone FROM users u WHERE u.id = p_patient_id), 'Asia/Phnom_Penh') AS name
  ), span AS (
    SELECT p_from::timestamp AT TIME ZONE tz.name AS t0, (p_to + 1)::timestamp AT TIME ZONE tz.name AS t1 FROM tz
  ), agg AS (
    SELECT r.medication_id,
           count(*) AS scheduled_doses,
           count(*) FILTER (WHERE l.status = 'taken') AS taken,
           count(*) FILTER (WHERE l.status = 'missed') AS missed,
           count(*) FILTER (WHERE l.status = 'skipped') AS skipped,
           count(*) FILTER (WHERE l.status IN ('pending', 'snoozed')) AS open_doses
    FROM medication_reminder_logs l
    JOIN medication_reminders r ON r.id = l.reminder_id
    CROSS JOIN span
    WHERE l.patient_id = p_patient_id AND l.scheduled_for >= span.t0 AND l.scheduled_for < span.t1
    GROUP BY r.medication_id
  )
  SELECT m.id, m.prescription_id, m.name, m.strength,
         coalesce(a.scheduled_doses, 0), coalesce(a.taken, 0), coalesce(a.missed, 0),
         coalesce(a.skipped, 0), coalesce(a.open_doses, 0),
         CASE WHEN coalesce(a.taken + a.missed + a.skipped, 0) = 0 THEN NULL
              ELSE round(100.0 * a.taken / (a.taken + a.missed + a.skipped), 2) END
  FROM medications m
  LEFT JOIN agg a ON a.medication_id = m.id
  WHERE m.patient_id = p_patient_id
    AND p_from <= p_to
    AND (a.medication_id IS NOT NULL
         OR (m.is_active AND EXISTS (SELECT 1 FROM medication_reminders r2 WHERE r2.medication_id = m.id AND r2.is_active)))
  ORDER BY m.name, m.id
$$;

-- A fresh invitation code: p_length (8..32, default 10) characters drawn uniformly with a
-- CSPRNG from an alphabet without look-alikes (no 0/O, 1/I/L), unused by any relationship.
CREATE OR REPLACE FUNCTION generate_invitation_code(p_length integer DEFAULT 10) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  c_alphabet constant text := 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';  -- 31 symbols
  v_code text;
  v_bytes bytea;
  v_byte integer;
  i integer;
BEGIN
  IF p_length IS NULL OR p_length < 8 OR p_length > 32 THEN
    RAISE EXCEPTION 'invitation code length must be between 8 and 32' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOOP
    v_code := '';
    WHILE length(v_code) < p_length LOOP
      v_bytes := gen_random_bytes(p_length * 2);
      FOR i IN 0 .. length(v_bytes) - 1 LOOP
        v_byte := get_byte(v_bytes, i);
        IF v_byte < 248 AND length(v_code) < p_length THEN  -- 248 = 8 × 31: no modulo bias
          v_code := v_code || substr(c_alphabet, v_byte % 31 + 1, 1);
        END IF;
      END LOOP;
    END LOOP;
    EXIT WHEN NOT EXISTS (SELECT 1 FROM doctor_patient_relationships r WHERE r.invitation_code = v_code);
  END LOOP;
  RETURN v_code;
END
$$;

-- Maintenance (daily): deletes sessions that expired, or were revoked more than 7 days ago.
-- Returns the number deleted. Run as the owner or with app.user_role = 'system'.
CREATE OR REPLACE FUNCTION cleanup_expired_sessions() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  DELETE FROM user_sessions s
  WHERE s.expires_at <= now() OR s.revoked_at <= now() - interval '7 days';
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- Maintenance: pending invitations past their expiry become 'inactive' (end_reason
-- 'invitation_expired'), freeing the pair for a new invitation; one-sided ones (the other
-- side never known) are deleted. Returns the number expired or deleted.
CREATE OR REPLACE FUNCTION expire_invitations() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
  v_m integer;
BEGIN
  UPDATE doctor_patient_relationships r
     SET status = 'inactive', ended_at = now(), end_reason = 'invitation_expired'
   WHERE r.status = 'pending' AND r.invitation_expires_at <= now()
     AND r.doctor_id IS NOT NULL AND r.patient_id IS NOT NULL;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  -- one-sided invitations (the other side never known) are simply removed
  DELETE FROM doctor_patient_relationships r
   WHERE r.status = 'pending' AND r.invitation_expires_at <= now()
     AND (r.doctor_id IS NULL OR r.patient_id IS NULL);
  GET DIAGNOSTICS v_m = ROW_COUNT;
  RETURN v_n + v_m;
END
$$;

-- Maintenance (monthly): archives prescriptions created more than p_days days ago that are
-- finished (completed, ocr_completed drafts never confirmed, error) and have no reminder
-- still running (an ongoing treatment is never archived). Returns the number archived.
-- Run as the owner or with app.user_role = 'system'.
CREATE OR REPLACE FUNCTION archive_old_prescriptions(p_days integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF p_days IS NULL OR p_days < 1 THEN
    RAISE EXCEPTION 'days must be at least 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE prescriptions p
     SET status = 'archived', archived_at = now()
   WHERE p.status IN ('completed', 'ocr_completed', 'error')
     AND p.created_at < now() - make_interval(days => p_days)
     AND NOT EXISTS (
           SELECT 1 FROM medications m JOIN medication_reminders r ON r.medication_id = m.id
           WHERE m.prescription_id = p.id AND m.is_active AND r.is_active
             AND (r.end_date IS NULL OR r.end_date >= (now() AT TIME ZONE r.timezone)::date));
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- Counts of users (one row). Row level security applies: meant for admins (GET /admin/statistics).
CREATE OR REPLACE FUNCTION get_user_statistics()
RETURNS TABLE (total_users bigint, patients bigint, doctors bigint, admins bigint, active_users bigint,
               inactive_users bigint, deleted_users bigint, verified_users bigint, new_users_last_30_days bigint,
               logged_in_last_30_days bigint, premium_users bigint, active_relationships bigint,
               pending_invitations bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT
    (SELECT count(*) FROM users),
    (SELECT count(*) FROM users WHERE role = 'patient'),
    (SELECT count(*) FROM users WHERE role = 'doctor'),
    (SELECT count(*) FROM users WHERE role = 'admin'),
    (SELECT count(*) FROM users WHERE is_active AND deleted_at IS NULL),
    (SELECT count(*) FROM users WHERE NOT is_active AND deleted_at IS NULL),
    (SELECT count(*) FROM users WHERE deleted_at IS NOT NULL),
    (SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL),
    (SELECT count(*) FROM users WHERE created_at >= now() - interval '30 days'),
    (SELECT count(*) FROM users WHERE last_login_at >= now() - interval '30 days'),
    (SELECT count(DISTINCT s.user_id) FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
      WHERE pl.tier = 'premium' AND s.status IN ('active', 'trialing')
        AND s.current_period_start <= now() AND s.current_period_end > now()),
    (SELECT count(*) FROM doctor_patient_relationships WHERE status = 'active'),
    (SELECT count(*) FROM doctor_patient_relationships WHERE status = 'pending')
$$;

-- Counts of prescriptions, medications and doses (one row). Row level security applies.
CREATE OR REPLACE FUNCTION get_prescription_statistics()
RETURNS TABLE (total_prescriptions bigint, pending bigint, processing bigint, ocr_completed bigint,
               completed bigint, error bigint, archived bigint, created_last_30_days bigint,
               average_ocr_confidence numeric, average_processing_time_ms numeric, total_medications bigint,
               average_medications_per_prescription numeric, active_reminders bigint,
               doses_last_30_days bigint, adherence_rate_last_30_days numeric)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  WITH p AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'processing') AS processing,
           count(*) FILTER (WHERE status = 'ocr_completed') AS ocr_completed,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status = 'error') AS error,
           count(*) FILTER (WHERE status = 'archived') AS archived,
           count(*) FILTER (WHERE created_at >= now() - interval '30 days') AS recent,
           round(avg(ocr_confidence), 3) AS confidence,
           round(avg(processing_time_ms), 0) AS processing_ms
    FROM prescriptions WHERE deleted_at IS NULL
  ), m AS (
    SELECT count(*) AS total
    FROM medications med JOIN prescriptions pr ON pr.id = med.prescription_id
    WHERE pr.deleted_at IS NULL
  ), l AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'taken') AS taken,
           count(*) FILTER (WHERE status IN ('taken', 'missed', 'skipped')) AS resolved
    FROM medication_reminder_logs WHERE scheduled_for >= now() - interval '30 days' AND scheduled_for < now()
  )
  SELECT p.total, p.pending, p.processing, p.ocr_completed, p.completed, p.error, p.archived, p.recent,
         p.confidence, p.processing_ms, m.total,
         CASE WHEN p.total = 0 THEN 0 ELSE round(m.total::numeric / p.total, 2) END,
         (SELECT count(*) FROM medication_reminders WHERE is_active),
         l.total,
         CASE WHEN l.resolved = 0 THEN NULL ELSE round(100.0 * l.taken / l.resolved, 2) END
  FROM p, m, l
$$;

REVOKE ALL ON FUNCTION user_has_premium_subscription(uuid), get_ai_quota(uuid), can_make_ai_request(uuid),
    can_create_prescription(uuid), generate_invitation_code(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_has_premium_subscription(uuid), get_ai_quota(uuid), can_make_ai_request(uuid),
    can_create_prescription(uuid), get_active_reminders(uuid), get_adherence_statistics(uuid, date, date),
    generate_invitation_code(integer), cleanup_expired_sessions(), expire_invitations(),
    archive_old_prescriptions(integer), get_user_statistics(), get_prescription_statistics()
    TO dastern_app;
-- >>> migrations/004_reminder_dispatch.sql (verbatim up part; keep identical)
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

-- >>> migrations/007_active_reminders_fast.sql (verbatim up part; keep identical)
-- 007_active_reminders_fast.sql — get_active_reminders at the service's speed (RLS on).
--
-- Two changes, same signature, same rows in the same order (checked on 2,000 generated patients):
--  * Today's dose log is found with one index probe. It was joined on
--      l.scheduled_for = (today + r.reminder_time) AT TIME ZONE r.timezone
--    and under row level security the planner may evaluate before the policies only leakproof
--    conditions: this one calls timezone() (not leakproof) on the reminder's columns, so only
--    reminder_id reached the index and EVERY dose log of the reminder was read and filtered (one
--    heap page per day of treatment: a year-long treatment reads 365 rows per reminder). The
--    owner, without RLS, got the two-column lookup. Now today's dose time is computed first (a
--    MATERIALIZED CTE) and the join compares plain columns (leakproof):
--    Index Cond: (reminder_id = due.id) AND (scheduled_for = due.scheduled_at).
--  * PL/pgSQL instead of SQL: a SQL function that is not inlined (SET search_path prevents it)
--    plans its query on every call (~0.5 ms with the policies); PL/pgSQL keeps the plan for the
--    session (the service's pooled connections). The policies' context is evaluated at run time
--    (InitPlans), so a cached plan is right for every user.

-- Today's doses of p_user_id: active reminders of active medications whose date range
-- contains today and whose days_of_week contain today's ISO weekday, "today" being the
-- reminder's own time zone (the patient's). scheduled_at is today's dose time; log_id /
-- log_status the dose log of that dose, when one exists. Row level security applies.
CREATE OR REPLACE FUNCTION get_active_reminders(p_user_id uuid)
RETURNS TABLE (reminder_id uuid, medication_id uuid, prescription_id uuid, medication_name text, strength text,
               form text, slot dose_slot, reminder_time time, scheduled_at timestamptz, dose_amount numeric,
               dose_unit text, instructions text, take_after_meal boolean, take_before_meal boolean,
               timezone text, next_reminder_at timestamptz, log_id uuid, log_status reminder_log_status)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
  RETURN QUERY
    WITH due AS MATERIALIZED (
      SELECT r.id, r.medication_id, m.prescription_id, m.name, m.strength, m.form, r.slot, r.reminder_time,
             (d.today + r.reminder_time) AT TIME ZONE r.timezone AS scheduled_at, r.dose_amount, r.dose_unit,
             m.instructions, m.take_after_meal, m.take_before_meal, r.timezone, r.next_reminder_at
      FROM medication_reminders r
      JOIN medications m ON m.id = r.medication_id
      JOIN prescriptions p ON p.id = m.prescription_id
      CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE r.timezone)::date AS today) AS d
      WHERE r.patient_id = p_user_id
        AND r.is_active
        AND m.is_active
        AND p.deleted_at IS NULL
        AND r.start_date <= d.today
        AND (r.end_date IS NULL OR r.end_date >= d.today)
        AND extract(isodow FROM d.today)::smallint = ANY (r.days_of_week)
    )
    SELECT due.id, due.medication_id, due.prescription_id, due.name, due.strength, due.form, due.slot,
           due.reminder_time, due.scheduled_at, due.dose_amount, due.dose_unit, due.instructions,
           due.take_after_meal, due.take_before_meal, due.timezone, due.next_reminder_at, l.id, l.status
    FROM due
    LEFT JOIN medication_reminder_logs l ON l.reminder_id = due.id AND l.scheduled_for = due.scheduled_at
    ORDER BY due.reminder_time, due.name, due.id;
END
$$;

-- >>> migrations/009_dispatch_speed.sql (verbatim up part; keep identical)
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

-- >>> migrations/011_dispatch_merge.sql (verbatim up part; keep identical)
-- 011_dispatch_merge.sql — the reminder dispatcher's burst throughput, continued (issue 5:
-- 100,000 due doses at ≥ 5,000 doses/s on 2 cores). Same results, less work per dose:
--  * One UPDATE of each claimed reminder per batch instead of two: dispatch_due_reminders moves
--    next_reminder_at on and adds its new dose logs to total_doses in the same statement as the
--    inserts (a hashed lookup of the reminder ids the dose-log INSERT actually returned, so a dose
--    the patient had already logged, ON CONFLICT DO NOTHING, is not counted twice). For that
--    statement the dose-log insert counters trigger steps aside: dispatch_due_reminders sets
--    app.dispatch_counts_logs = 'on' (transaction-local) around it and resets it right after;
--    every other dose-log INSERT is counted by the trigger as before. Dispatched logs are
--    'pending': only total_doses changes.
--  * reminder_next_occurrence: the same days, in PL/pgSQL (a loop over at most 9 days, stopping
--    at the first match) instead of a generate_series query: ~5× cheaper per call. Same
--    semantics (weekdays, start/end dates, the reminder's time zone across DST and midnight;
--    NULL when the schedule has ended).
-- This migration is mirrored at the end of functions/user_functions.sql (after 009).

-- The first dose time at or after p_from: local date + reminder time in the reminder's time
-- zone, on an allowed ISO weekday, inside [p_start, p_end]. NULL when the schedule has ended.
CREATE OR REPLACE FUNCTION reminder_next_occurrence(p_from timestamptz, p_time time, p_tz text,
                                                    p_days smallint[], p_start date, p_end date)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_day date := greatest((p_from AT TIME ZONE p_tz)::date, p_start);
  v_at timestamptz;
BEGIN
  FOR i IN 0..8 LOOP
    EXIT WHEN v_day > p_end;
    IF extract(isodow FROM v_day)::smallint = ANY (p_days) THEN
      v_at := (v_day + p_time) AT TIME ZONE p_tz;
      IF v_at >= p_from THEN
        RETURN v_at;
      END IF;
    END IF;
    v_day := v_day + 1;
  END LOOP;
  RETURN NULL;
END
$$;

-- Dose logs inserted by dispatch_due_reminders (app.dispatch_counts_logs = 'on') are counted by
-- its own UPDATE of the reminders.
CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF current_setting('app.dispatch_counts_logs', true) = 'on' THEN
    RETURN NULL;
  END IF;
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

-- >>> migrations/035_dispatch_conflict_targets.sql (verbatim up part; keep identical)
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

