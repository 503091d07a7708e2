-- 037_audit_row_fewer_indexes.sql — a cheaper audit row (one per read of medical data): a
-- list's row gets three B-tree entries and a BRIN summary check instead of seven B-tree
-- entries (a single record's read four), every guarantee kept.
--
--  * The primary key becomes (seq, created_at), the unique key the rows already had: seq is
--    what identifies a row everywhere (the hash chain, its seals in audit_chain, erasure,
--    the admin's search, the access log). The key on (id, created_at) goes: no query looks a row
--    up by id, and a random uuid was the costliest entry of the row (a B-tree leaf anywhere in
--    the index). The id column stays, as it was.
--  * created_at (the partition key; rows arrive in time order) is indexed by a BRIN index
--    instead of a B-tree: a time range still finds its blocks, and a new row costs a look at
--    its block range's summary instead of a B-tree entry.
--  * The reads (actions read and list, nearly all rows) leave the action index: it lists the
--    other actions (erase_user, the writes, exports…), where a search by action is selective;
--    a search for reads finds them newest first by seq. A list's row (no resource_id) leaves
--    the (table_name, resource_id) index, which serves lookups of a resource (erasure's
--    table_name = 'users' AND resource_id = …).
--  * The BEFORE trigger reads the clock once and calls app_audit_redact() only for a payload
--    that is there (a read's row has new values and no old ones; redact(NULL) is NULL).
-- The chain (row_hash over seq, created_at, role, action, table, resource, request, payload),
-- the append-only privileges, what the trigger gives a row (seq, time, redaction) and erasure
-- are unchanged.

ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_pkey;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_seq_key;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (seq, created_at);
DROP INDEX idx_audit_logs_created_at;
CREATE INDEX idx_audit_logs_created_at ON audit_logs USING brin (created_at);
DROP INDEX idx_audit_logs_action;
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at) WHERE action NOT IN ('read', 'list');
DROP INDEX idx_audit_logs_table_name_resource_id;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id) WHERE resource_id IS NOT NULL;

-- A writer's time is replaced only when it is not the fresh default (as 030's: a partition is
-- chosen before a BEFORE trigger runs, and a time moved into another month there would fail
-- the insert, "moving row to another partition"). A forged time (older than a second or ahead)
-- is still replaced by the clock; one of another month then fails the insert. The owner's direct
-- SQL keeps its time (it could as well disable the trigger): an UPDATE that moves a row to
-- another month re-inserts it there through this trigger, which must not fail (verify then
-- names the row, as before). The clock is read once; an absent payload is not redacted.
CREATE OR REPLACE FUNCTION trg_audit_logs_prepare() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_clock timestamptz;
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  NEW.seq := pg_catalog.nextval('public.audit_logs_seq');
  v_clock := pg_catalog.clock_timestamp();
  IF (NEW.created_at IS NULL OR NEW.created_at > v_clock OR NEW.created_at < v_clock - interval '1 second')
     AND NOT public.app_is_direct_sql() THEN
    NEW.created_at := v_clock;
  END IF;
  NEW.redacted_at := NULL;
  IF pg_catalog.pg_trigger_depth() = 1 THEN
    IF NEW.old_values IS NOT NULL THEN
      NEW.old_values := public.app_audit_redact(NEW.old_values);
    END IF;
    IF NEW.new_values IS NOT NULL THEN
      NEW.new_values := public.app_audit_redact(NEW.new_values);
    END IF;
  END IF;
  RETURN NEW;
END
$$;

/* migrate:down
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

DROP INDEX idx_audit_logs_table_name_resource_id;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id);
DROP INDEX idx_audit_logs_action;
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at);
DROP INDEX idx_audit_logs_created_at;
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_pkey;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at);
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_seq_key UNIQUE (seq, created_at);
*/
