-- 030_partitioned_logs.sql — medication_reminder_logs, audit_logs and usage_analytics become
-- natively partitioned by month (issue 17), so that old months can leave the live tables
-- without a DELETE.
--  * Partition keys: medication_reminder_logs.scheduled_for (the dose's time), audit_logs.created_at,
--    usage_analytics.occurred_at. Bounds are UTC months; partitions are named <table>_pYYYY_MM.
--    Each table also has a DEFAULT partition (<table>_default): a row outside every month made
--    (a back-dated test row, a dose far ahead) lands there instead of failing.
--  * A unique constraint of a partitioned table must contain the partition key: the primary keys
--    become (id, key) and audit_logs' UNIQUE (seq) becomes (seq, created_at); seq stays unique
--    because only the sequence gives it (trigger audit_logs_prepare). The dispatcher's and the
--    patient's upsert target keeps its name and columns: medication_reminder_logs_reminder_id_scheduled_for_key
--    (reminder_id, scheduled_for) already contains the key.
--  * app_partitions_ensure(months_ahead) makes the partitions of this month and the next ones
--    (the maintenance job daily and `dastern maintenance partitions`; `dastern serve` at start).
--    A month whose rows already sit in the default partition is left there and named in a WARNING.
--  * A partitioned table cannot RETURN a system column: `RETURNING (xmax = 0)` after an upsert
--    fails ("cannot retrieve a system column in this context"); writeLog uses created_at = now().
--  * Partitions get RLS enabled and forced with no policy of their own: the service's roles reach
--    the rows only through the parent (its policies; they have no grant on a partition).
--  * A writer's audit time is still not its own (trg_audit_logs_prepare): a time of this month is
--    replaced by the clock as before; one of another month is refused (a BEFORE trigger may not
--    move a row to another partition), where 012 replaced it silently.
--  * Retention archives, never deletes: app_partitions_archive(table, keep_months) DETACHes the
--    months before the kept ones of medication_reminder_logs or usage_analytics and moves them
--    to schema `archive` (no grants to the service's roles; the rows stay, with their foreign
--    keys: erasing an account still cascades into them; ATTACH PARTITION brings one back).
--    audit_logs is refused: the hash chain (app_audit_verify) and the erasure's redaction
--    (app_audit_erase_user) must reach every audit row, so its months stay attached.
--  * The existing rows are copied as they are (the triggers are created after the copy: no
--    counter counted twice, no audit seq or time given anew), so the sealed chain verifies.
-- This migration is mirrored at the end of schema.sql.

CREATE SCHEMA archive;
REVOKE ALL ON SCHEMA archive FROM PUBLIC;
COMMENT ON SCHEMA archive IS 'Detached monthly partitions past retention (app_partitions_archive): kept, never deleted; owner only.';

-- ---------------------------------------------------------------- helpers
-- The partitioned tables and their keys.
CREATE FUNCTION app_partitioned_tables() RETURNS TABLE (table_name text, key_column text)
LANGUAGE sql IMMUTABLE
AS $$
  VALUES ('medication_reminder_logs', 'scheduled_for'), ('audit_logs', 'created_at'), ('usage_analytics', 'occurred_at')
$$;

-- Creates one month's partition of p_table unless it exists (here or archived) or the default
-- partition already holds rows of that month (then a WARNING names it). Returns true when made.
CREATE FUNCTION app_partition_create(p_table text, p_month date) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_key text;
  v_name text := format('%s_p%s', p_table, to_char(p_month, 'YYYY_MM'));
  v_from timestamptz := (date_trunc('month', p_month::timestamp) AT TIME ZONE 'UTC');
  v_to timestamptz := ((date_trunc('month', p_month::timestamp) + interval '1 month') AT TIME ZONE 'UTC');
  v_taken boolean;
BEGIN
  SELECT t.key_column INTO v_key FROM app_partitioned_tables() t WHERE t.table_name = p_table;
  IF v_key IS NULL THEN
    RAISE EXCEPTION '% is not a partitioned log table', p_table USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relname = v_name AND n.nspname IN ('public', 'archive')) THEN
    RETURN false;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I WHERE %I >= $1 AND %I < $2)', p_table || '_default', v_key, v_key)
    INTO v_taken USING v_from, v_to;
  IF v_taken THEN
    RAISE WARNING 'partition % not made: rows of that month are in %_default', v_name, p_table;
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)', v_name, p_table, v_from, v_to);
  -- read and written through the parent (its policies); directly, by no one but the owner
  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', v_name);
  RETURN true;
END
$$;

-- The partitions of this month (UTC) and the p_months_ahead next ones, for every table.
-- Returns how many were made. 'system' (the jobs' login) or the owner's direct SQL only.
CREATE FUNCTION app_partitions_ensure(p_months_ahead integer DEFAULT 3) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '10s'
AS $$
DECLARE
  t record;
  v_made integer := 0;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to make partitions' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 36 THEN
    RAISE EXCEPTION 'months ahead must be between 0 and 36' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one maker at a time (the daily job on several workers, serve's start)
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dastern'), pg_catalog.hashtext('partitions'));
  FOR t IN SELECT * FROM app_partitioned_tables() LOOP
    FOR i IN 0 .. p_months_ahead LOOP
      IF app_partition_create(t.table_name, (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date) THEN
        v_made := v_made + 1;
      END IF;
    END LOOP;
  END LOOP;
  RETURN v_made;
END
$$;

-- Retention: the monthly partitions of p_table that end before the first of the p_keep_months
-- months kept (this month included) are detached and moved to schema archive, never deleted.
-- medication_reminder_logs and usage_analytics only (audit_logs: see the header).
CREATE FUNCTION app_partitions_archive(p_table text, p_keep_months integer)
RETURNS TABLE (partition_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '10s'
AS $$
DECLARE
  p record;
  v_cutoff timestamptz;
  v_rows bigint;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to archive partitions' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_table = 'audit_logs' THEN
    RAISE EXCEPTION 'audit_logs is never detached: the hash chain and erasure must reach every row' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_table NOT IN ('medication_reminder_logs', 'usage_analytics') THEN
    RAISE EXCEPTION '% is not an archivable log table', p_table USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_keep_months IS NULL OR p_keep_months < 1 THEN
    RAISE EXCEPTION 'keep at least one month' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dastern'), pg_catalog.hashtext('partitions'));
  v_cutoff := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => p_keep_months - 1)) AT TIME ZONE 'UTC';
  FOR p IN
    SELECT c.relname::text AS name
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = format('public.%I', p_table)::regclass
       AND c.relname ~ '_p[0-9]{4}_[0-9]{2}$'
       AND ((to_date(substring(c.relname from '_p([0-9]{4}_[0-9]{2})$'), 'YYYY_MM') + interval '1 month') AT TIME ZONE 'UTC') <= v_cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('SELECT count(*) FROM public.%I', p.name) INTO v_rows;
    EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', p_table, p.name);
    EXECUTE format('ALTER TABLE public.%I SET SCHEMA archive', p.name);
    partition_name := 'archive.' || p.name;
    row_count := v_rows;
    RETURN NEXT;
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION app_partition_create(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION app_partitions_ensure(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION app_partitions_archive(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_partitions_ensure(integer) TO dastern_worker;
GRANT EXECUTE ON FUNCTION app_partitions_archive(text, integer) TO dastern_worker;

-- Makes the partitions from the month of the oldest existing row (or this month) to 3 months ahead.
CREATE OR REPLACE FUNCTION pg_temp.make_partitions(p_table text, p_oldest timestamptz) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  m date := date_trunc('month', coalesce(least(p_oldest, now()), now()) AT TIME ZONE 'UTC')::date;
BEGIN
  EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I DEFAULT', p_table || '_default', p_table);
  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', p_table || '_default');
  WHILE m <= (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date LOOP
    PERFORM public.app_partition_create(p_table, m);
    m := (m + interval '1 month')::date;
  END LOOP;
END
$$;


-- Copies the triggers of the old table onto the new one (after the rows: no counter counted
-- twice, no audit seq given anew): whatever set the earlier migrations left there.
CREATE OR REPLACE FUNCTION pg_temp.copy_triggers(p_from text, p_to text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  d text;
BEGIN
  FOR d IN SELECT pg_catalog.pg_get_triggerdef(t.oid) FROM pg_catalog.pg_trigger t
            WHERE t.tgrelid = format('public.%I', p_from)::regclass AND NOT t.tgisinternal ORDER BY t.tgname LOOP
    EXECUTE replace(d, format(' ON public.%s ', p_from), format(' ON public.%s ', p_to));
  END LOOP;
END
$$;

-- ---------------------------------------------------------------- medication_reminder_logs
ALTER TABLE medication_reminder_logs RENAME TO medication_reminder_logs_unpartitioned;
CREATE TABLE medication_reminder_logs (
    LIKE medication_reminder_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (scheduled_for);
SELECT pg_temp.make_partitions('medication_reminder_logs', (SELECT min(scheduled_for) FROM medication_reminder_logs_unpartitioned));
INSERT INTO medication_reminder_logs SELECT * FROM medication_reminder_logs_unpartitioned;
SELECT pg_temp.copy_triggers('medication_reminder_logs_unpartitioned', 'medication_reminder_logs');
DROP TABLE medication_reminder_logs_unpartitioned;
ALTER TABLE medication_reminder_logs
    ADD CONSTRAINT medication_reminder_logs_pkey PRIMARY KEY (id, scheduled_for),
    -- one log per dose: the dispatcher and the patient both upsert on this key
    ADD CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key UNIQUE (reminder_id, scheduled_for),
    ADD CONSTRAINT medication_reminder_logs_reminder_fkey FOREIGN KEY (reminder_id, patient_id)
        REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE;
CREATE INDEX idx_medication_reminder_logs_open ON medication_reminder_logs (scheduled_for) WHERE status IN ('pending', 'snoozed');
CREATE INDEX idx_medication_reminder_logs_patient_id_scheduled_for ON medication_reminder_logs (patient_id, scheduled_for DESC);
ALTER TABLE medication_reminder_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY medication_reminder_logs_select ON medication_reminder_logs FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_reminder_logs_write ON medication_reminder_logs FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT, UPDATE, DELETE ON medication_reminder_logs TO dastern_app;

-- ---------------------------------------------------------------- audit_logs
ALTER SEQUENCE audit_logs_seq OWNED BY NONE;
ALTER TABLE audit_logs RENAME TO audit_logs_unpartitioned;
CREATE TABLE audit_logs (
    LIKE audit_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (created_at);
SELECT pg_temp.make_partitions('audit_logs', (SELECT min(created_at) FROM audit_logs_unpartitioned));
INSERT INTO audit_logs SELECT * FROM audit_logs_unpartitioned;
SELECT pg_temp.copy_triggers('audit_logs_unpartitioned', 'audit_logs');
DROP TABLE audit_logs_unpartitioned;
ALTER SEQUENCE audit_logs_seq OWNED BY audit_logs.seq;
-- the row's time is routed by this default; the trigger keeps a time this fresh (see below)
ALTER TABLE audit_logs ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ALTER TABLE audit_logs
    ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at),
    ADD CONSTRAINT audit_logs_seq_key UNIQUE (seq, created_at);
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at);
CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id, created_at DESC) WHERE actor_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX idx_audit_logs_subject_user_id ON audit_logs (subject_user_id, created_at DESC) WHERE subject_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id);

-- As 012's, but a writer's time is replaced only when it is not the fresh default: a partition
-- is chosen before a BEFORE trigger runs, and a time moved into another month there would fail
-- the insert ("moving row to another partition"). A forged time (older than a second or ahead)
-- is still replaced by the clock; one of another month then fails the insert. The owner's direct
-- SQL keeps its time (it could as well disable the trigger): an UPDATE that moves a row to
-- another month re-inserts it there through this trigger, which must not fail (verify then
-- names the row, as before).
CREATE OR REPLACE FUNCTION trg_audit_logs_prepare() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  NEW.seq := pg_catalog.nextval('public.audit_logs_seq');
  IF (NEW.created_at IS NULL OR NEW.created_at > pg_catalog.clock_timestamp()
      OR NEW.created_at < pg_catalog.clock_timestamp() - interval '1 second')
     AND NOT public.app_is_direct_sql() THEN
    NEW.created_at := pg_catalog.clock_timestamp();
  END IF;
  NEW.redacted_at := NULL;
  IF pg_catalog.pg_trigger_depth() = 1 THEN
    NEW.old_values := public.app_audit_redact(NEW.old_values);
    NEW.new_values := public.app_audit_redact(NEW.new_values);
  END IF;
  RETURN NEW;
END
$$;
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_insert ON audit_logs FOR INSERT WITH CHECK (
    actor_user_id IS NULL OR actor_user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY audit_logs_select ON audit_logs FOR SELECT USING ((SELECT app_is_admin()));
GRANT SELECT, INSERT ON audit_logs TO dastern_app;   -- never UPDATE or DELETE

-- ---------------------------------------------------------------- usage_analytics
ALTER TABLE usage_analytics RENAME TO usage_analytics_unpartitioned;
CREATE TABLE usage_analytics (
    LIKE usage_analytics_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (occurred_at);
SELECT pg_temp.make_partitions('usage_analytics', (SELECT min(occurred_at) FROM usage_analytics_unpartitioned));
INSERT INTO usage_analytics SELECT * FROM usage_analytics_unpartitioned;
SELECT pg_temp.copy_triggers('usage_analytics_unpartitioned', 'usage_analytics');
DROP TABLE usage_analytics_unpartitioned;
ALTER TABLE usage_analytics
    ADD CONSTRAINT usage_analytics_pkey PRIMARY KEY (id, occurred_at),
    ADD CONSTRAINT usage_analytics_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX idx_usage_analytics_event_type_occurred_at ON usage_analytics (event_type, occurred_at);
CREATE INDEX idx_usage_analytics_user_id_event_type_occurred_at ON usage_analytics (user_id, event_type, occurred_at);
ALTER TABLE usage_analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_analytics FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_analytics_insert ON usage_analytics FOR INSERT WITH CHECK (
    user_id IS NULL OR user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY usage_analytics_select ON usage_analytics FOR SELECT USING ((SELECT app_is_admin()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT ON usage_analytics TO dastern_app;

DROP FUNCTION pg_temp.make_partitions(text, timestamptz);
DROP FUNCTION pg_temp.copy_triggers(text, text);

/* migrate:down
-- Back to plain tables, with every row: the attached months, the default partition and the
-- archived months (schema archive goes).
CREATE OR REPLACE FUNCTION pg_temp.unpartition(p_table text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  a record;
BEGIN
  EXECUTE format('ALTER TABLE public.%I RENAME TO %I', p_table, p_table || '_partitioned');
  EXECUTE format('CREATE TABLE public.%I (LIKE public.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS)', p_table, p_table || '_partitioned');
  EXECUTE format('INSERT INTO public.%I SELECT * FROM public.%I', p_table, p_table || '_partitioned');
  FOR a IN SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'archive' AND c.relname ~ ('^' || p_table || '_p[0-9]{4}_[0-9]{2}$') LOOP
    EXECUTE format('INSERT INTO public.%I SELECT * FROM archive.%I', p_table, a.name);
  END LOOP;
  EXECUTE format('DROP TABLE public.%I', p_table || '_partitioned');
END
$$;

SELECT pg_temp.unpartition('medication_reminder_logs');
ALTER TABLE medication_reminder_logs
    ADD CONSTRAINT medication_reminder_logs_pkey PRIMARY KEY (id),
    ADD CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key UNIQUE (reminder_id, scheduled_for),
    ADD CONSTRAINT medication_reminder_logs_reminder_fkey FOREIGN KEY (reminder_id, patient_id)
        REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE;
CREATE INDEX idx_medication_reminder_logs_open ON medication_reminder_logs (scheduled_for) WHERE status IN ('pending', 'snoozed');
CREATE INDEX idx_medication_reminder_logs_patient_id_scheduled_for ON medication_reminder_logs (patient_id, scheduled_for DESC);
CREATE TRIGGER dose_log_state BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_dose_log_state();
CREATE TRIGGER medication_reminder_logs_counters_delete AFTER DELETE ON medication_reminder_logs
    FOR EACH ROW EXECUTE FUNCTION trg_medication_reminder_logs_counters();
CREATE TRIGGER medication_reminder_logs_counters_insert AFTER INSERT ON medication_reminder_logs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_insert();
CREATE TRIGGER medication_reminder_logs_counters_update AFTER UPDATE ON medication_reminder_logs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_update();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
ALTER TABLE medication_reminder_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY medication_reminder_logs_select ON medication_reminder_logs FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_reminder_logs_write ON medication_reminder_logs FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT, UPDATE, DELETE ON medication_reminder_logs TO dastern_app;

ALTER SEQUENCE audit_logs_seq OWNED BY NONE;
SELECT pg_temp.unpartition('audit_logs');
ALTER SEQUENCE audit_logs_seq OWNED BY audit_logs.seq;
ALTER TABLE audit_logs ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE audit_logs
    ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id),
    ADD CONSTRAINT audit_logs_seq_key UNIQUE (seq);
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at);
CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id, created_at DESC) WHERE actor_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX idx_audit_logs_subject_user_id ON audit_logs (subject_user_id, created_at DESC) WHERE subject_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id);
CREATE OR REPLACE FUNCTION trg_audit_logs_prepare() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  NEW.seq := pg_catalog.nextval('public.audit_logs_seq');
  NEW.created_at := pg_catalog.clock_timestamp();
  NEW.redacted_at := NULL;
  IF pg_catalog.pg_trigger_depth() = 1 THEN
    NEW.old_values := public.app_audit_redact(NEW.old_values);
    NEW.new_values := public.app_audit_redact(NEW.new_values);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_logs_prepare BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION trg_audit_logs_prepare();
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_insert ON audit_logs FOR INSERT WITH CHECK (
    actor_user_id IS NULL OR actor_user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY audit_logs_select ON audit_logs FOR SELECT USING ((SELECT app_is_admin()));
GRANT SELECT, INSERT ON audit_logs TO dastern_app;

SELECT pg_temp.unpartition('usage_analytics');
ALTER TABLE usage_analytics
    ADD CONSTRAINT usage_analytics_pkey PRIMARY KEY (id),
    ADD CONSTRAINT usage_analytics_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX idx_usage_analytics_event_type_occurred_at ON usage_analytics (event_type, occurred_at);
CREATE INDEX idx_usage_analytics_user_id_event_type_occurred_at ON usage_analytics (user_id, event_type, occurred_at);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON usage_analytics FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
ALTER TABLE usage_analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_analytics FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_analytics_insert ON usage_analytics FOR INSERT WITH CHECK (
    user_id IS NULL OR user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY usage_analytics_select ON usage_analytics FOR SELECT USING ((SELECT app_is_admin()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT ON usage_analytics TO dastern_app;

DROP FUNCTION app_partitions_archive(text, integer);
DROP FUNCTION app_partitions_ensure(integer);
DROP FUNCTION app_partition_create(text, date);
DROP FUNCTION app_partitioned_tables();
DROP SCHEMA archive CASCADE;
DROP FUNCTION pg_temp.unpartition(text);
*/
