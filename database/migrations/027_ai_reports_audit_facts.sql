-- 027_ai_reports_audit_facts.sql — the audit trail of AI reports records the fact, not the
-- report (issue 14): 001's generic row trigger copied the whole ai_reports row (content, title,
-- error_message: medical free text about the patient) into audit_logs.old_values/new_values.
--  * trg_audit_row_facts(subject_column, kept columns…): like trg_audit_row_change, but only
--    the named columns' values are written; for an UPDATE the names (never the values) of the
--    other columns that changed are listed under "changed_columns". A change of updated_at
--    alone writes nothing.
--  * ai_reports keeps ids, kind, language, status, model, file type and times.
--  * Audit rows written before this migration are reduced to the same facts through one
--    sealed erasure event (as 018 does for erased users), so `dastern audit verify` still
--    accounts for every changed row.

CREATE OR REPLACE FUNCTION app_audit_keep_columns(p_values jsonb, p_keep text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN p_values
    ELSE (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
            FROM jsonb_each(p_values) AS e WHERE e.key = ANY (p_keep)) END
$$;

CREATE OR REPLACE FUNCTION trg_audit_row_facts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_keep text[] := ARRAY['id'];
  v_row jsonb;
  v_old jsonb;
  v_new jsonb;
  v_changed text[];
  v_subject text;
  i integer;
BEGIN
  FOR i IN 1 .. TG_NARGS - 1 LOOP
    v_keep := v_keep || TG_ARGV[i];
  END LOOP;
  IF TG_OP = 'INSERT' THEN
    v_row := to_jsonb(NEW);
    v_new := app_audit_keep_columns(v_row, v_keep);
  ELSIF TG_OP = 'DELETE' THEN
    v_row := to_jsonb(OLD);
    v_old := app_audit_keep_columns(v_row, v_keep);
  ELSE
    v_row := to_jsonb(NEW);
    SELECT array_agg(n.key ORDER BY n.key) INTO v_changed
      FROM jsonb_each(to_jsonb(OLD)) AS o JOIN jsonb_each(v_row) AS n ON n.key = o.key
     WHERE n.value IS DISTINCT FROM o.value AND n.key <> 'updated_at';
    IF v_changed IS NULL THEN
      RETURN NULL;  -- nothing but updated_at changed
    END IF;
    SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(n.key, n.value) INTO v_old, v_new
      FROM jsonb_each(to_jsonb(OLD)) AS o JOIN jsonb_each(v_row) AS n ON n.key = o.key
     WHERE n.key = ANY (v_changed) AND n.key = ANY (v_keep);
    v_old := coalesce(v_old, '{}'::jsonb);
    v_new := coalesce(v_new, '{}'::jsonb) || jsonb_build_object('changed_columns', to_jsonb(v_changed));
  END IF;
  IF TG_NARGS > 0 AND TG_ARGV[0] <> '' THEN
    v_subject := v_row ->> TG_ARGV[0];
  END IF;
  INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id,
                          old_values, new_values, ip_address, user_agent)
  VALUES (app_current_user_id(), app_current_role(), lower(TG_OP), TG_TABLE_NAME, v_row ->> 'id', v_subject::uuid,
          app_audit_redact(v_old), app_audit_redact(v_new), app_client_ip(),
          left(nullif(current_setting('app.user_agent', true), ''), 1024));
  RETURN NULL;
END
$$;

DROP TRIGGER audit_row_change ON ai_reports;
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON ai_reports FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_facts('user_id', 'user_id', 'prescription_id', 'report_type', 'language',
                                         'status', 'model', 'file_mime_type', 'generated_at', 'created_at');

-- Rows already written: reduced to the same facts, named by one sealed erasure event.
DO $do$
DECLARE
  v_keep text[] := ARRAY['id', 'user_id', 'prescription_id', 'report_type', 'language', 'status', 'model',
                         'file_mime_type', 'generated_at', 'created_at'];
  v_event bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM audit_logs l WHERE l.table_name = 'ai_reports'
              AND (l.old_values IS DISTINCT FROM app_audit_keep_columns(l.old_values, v_keep)
                   OR l.new_values IS DISTINCT FROM app_audit_keep_columns(l.new_values, v_keep))) THEN
    INSERT INTO audit_logs (actor_role, action, table_name, resource_id)
    VALUES ('system', 'erase_user', 'audit_logs', 'pending') RETURNING seq INTO v_event;
    WITH done AS (
      UPDATE audit_logs l
         SET old_values = app_audit_keep_columns(l.old_values, v_keep),
             new_values = app_audit_keep_columns(l.new_values, v_keep), redacted_at = now()
       WHERE l.table_name = 'ai_reports' AND l.seq <> v_event
         AND (l.old_values IS DISTINCT FROM app_audit_keep_columns(l.old_values, v_keep)
              OR l.new_values IS DISTINCT FROM app_audit_keep_columns(l.new_values, v_keep))
      RETURNING l.seq, l.actor_user_id, l.subject_user_id, l.old_values, l.new_values, l.ip_address, l.user_agent)
    INSERT INTO audit_redactions (seq, erasure_seq, payload_hash)
    SELECT d.seq, v_event, app_audit_payload_hash(d.actor_user_id, d.subject_user_id, d.old_values, d.new_values, d.ip_address, d.user_agent)
      FROM done d;
    PERFORM app_audit_seal_erasure(v_event);
  END IF;
END
$do$;

/* migrate:down
-- (rows reduced by the up migration stay reduced: the removed text is gone)
DROP TRIGGER audit_row_change ON ai_reports;
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON ai_reports FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id');
DROP FUNCTION trg_audit_row_facts();
DROP FUNCTION app_audit_keep_columns(jsonb, text[]);
*/
