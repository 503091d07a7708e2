-- 018_audit_erasure_sealed.sql — erasure inside the audit chain's guarantees (issue 16, items 1 and 2).
--  * Erasing a reader's account no longer erases the patient's record of who read her file: a
--    row whose actor is the erased user and whose subject is someone else keeps its subject
--    (and its role, action, table, resource and time, which are in the chained text); the
--    erased user's id, IP, user agent and the row's values go. Her access log shows "a doctor
--    (account deleted)". Rows about the erased user (subject, her own acts, her users row) are
--    blanked entirely, as before.
--  * Every erasure is itself an audit row (action 'erase_user', table 'audit_logs') sealed into
--    the chain like any other: resource_id names the redacted rows' seq range and new_values
--    their count, their seq ranges and a digest of audit_redactions' entries for it.
--    audit_redactions keeps, per erasure and redacted row, the row's payload hash after the
--    redaction (no personal data: seq numbers and hashes; no grant to the service).
--  * app_audit_verify demands, for every redacted row, an entry of a recorded erasure whose
--    hash matches the row as it is now (a plain UPDATE that blanks a row and sets redacted_at,
--    or edits a kept subject, fails and names the row), and, for every erasure event, that its
--    entries still give the digest it sealed (entries added, removed or edited fail and name
--    the event).
--  * Nobody erases a living account: app_audit_erase_user refuses while the users row exists and
--    is not anonymised (DELETE /me deletes the row first, in the same transaction).
-- Rows redacted before this migration are named by one erasure event written here.

CREATE TABLE audit_redactions (
    seq          bigint NOT NULL,      -- the redacted audit_logs row
    erasure_seq  bigint NOT NULL,      -- the 'erase_user' audit row that redacted it
    payload_hash text NOT NULL,        -- app_audit_payload_hash of the row just after the redaction
    CONSTRAINT audit_redactions_pkey PRIMARY KEY (seq, erasure_seq),
    CONSTRAINT audit_redactions_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX idx_audit_redactions_erasure ON audit_redactions (erasure_seq);
COMMENT ON TABLE audit_redactions IS 'What each erasure (audit_logs action erase_user) redacted: the row and its payload hash afterwards; sealed through the erasure row''s digest.';
ALTER TABLE audit_redactions ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON audit_redactions FROM PUBLIC;

-- The digest an erasure event seals: sha256 over "seq:payload_hash" of its entries in seq order.
CREATE FUNCTION app_audit_erasure_digest(p_erasure_seq bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(coalesce(string_agg(r.seq::text || ':' || r.payload_hash, ',' ORDER BY r.seq), ''), 'sha256'), 'hex')
    FROM audit_redactions r WHERE r.erasure_seq = p_erasure_seq
$$;
REVOKE ALL ON FUNCTION app_audit_erasure_digest(bigint) FROM PUBLIC;

-- Records an erasure event for the rows just marked in audit_redactions under p_erasure_seq:
-- their count, seq ranges (gaps and islands) and the digest.
CREATE FUNCTION app_audit_seal_erasure(p_erasure_seq bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
  v_min bigint;
  v_max bigint;
  v_ranges jsonb;
BEGIN
  SELECT count(*), min(seq), max(seq) INTO v_n, v_min, v_max FROM audit_redactions WHERE erasure_seq = p_erasure_seq;
  SELECT coalesce(jsonb_agg(jsonb_build_array(lo, hi) ORDER BY lo), '[]'::jsonb) INTO v_ranges
    FROM (SELECT min(seq) AS lo, max(seq) AS hi
            FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS grp
                    FROM (SELECT l.seq FROM audit_logs l JOIN audit_redactions r ON r.seq = l.seq AND r.erasure_seq = p_erasure_seq) s) g
           GROUP BY grp) x;
  UPDATE audit_logs
     SET resource_id = CASE WHEN v_n = 0 THEN 'no rows' ELSE format('seq %s..%s', v_min, v_max) END,
         new_values = jsonb_build_object('redacted_rows', v_n, 'seq_ranges', v_ranges, 'digest', app_audit_erasure_digest(p_erasure_seq))
   WHERE seq = p_erasure_seq;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION app_audit_seal_erasure(bigint) FROM PUBLIC;

-- Erasure of an erased user's audit trail: the user herself (her row already deleted in this
-- transaction), admins, 'system', and direct SQL by the owner — never while the account exists.
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_event bigint;
  v_n integer;
BEGIN
  IF NOT (coalesce(app_current_user_id() = p_user_id, false) OR app_is_admin() OR app_is_system()
          OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- living: the row exists and was not anonymised (deleted_at + anonymised_at: the documented soft erasure)
  IF p_user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.anonymised_at IS NULL) THEN
    RAISE EXCEPTION 'the account still exists: only an erased account''s audit trail is redacted' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- the event first (its seq names the entries), completed below in this transaction, before
  -- any sealer can see it
  INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id)
  VALUES (NULL, coalesce(app_current_role(), 'system'), 'erase_user', 'audit_logs', 'pending')
  RETURNING seq INTO v_event;
  WITH target AS (
    SELECT l.seq,
           -- the patient's record that someone read or changed her data stays hers
           (l.actor_user_id = p_user_id AND l.subject_user_id IS NOT NULL AND l.subject_user_id <> p_user_id
            AND NOT (l.table_name = 'users' AND l.resource_id = p_user_id::text)) AS keep_subject
      FROM audit_logs l
     WHERE l.seq <> v_event
       AND (l.actor_user_id = p_user_id OR l.subject_user_id = p_user_id
            OR (l.table_name = 'users' AND l.resource_id = p_user_id::text))
  ), done AS (
    UPDATE audit_logs l
       SET actor_user_id = NULL, subject_user_id = CASE WHEN t.keep_subject THEN l.subject_user_id END,
           old_values = NULL, new_values = NULL, ip_address = NULL, user_agent = NULL,
           redacted_at = now()
      FROM target t WHERE l.seq = t.seq
    RETURNING l.seq, l.subject_user_id
  )
  INSERT INTO audit_redactions (seq, erasure_seq, payload_hash)
  SELECT d.seq, v_event, app_audit_payload_hash(NULL, d.subject_user_id, NULL, NULL, NULL, NULL) FROM done d;
  v_n := app_audit_seal_erasure(v_event);
  RETURN v_n;
END
$$;

-- The rows redacted before 018: one erasure event names them.
DO $do$
DECLARE
  v_event bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM audit_logs WHERE redacted_at IS NOT NULL) THEN
    INSERT INTO audit_logs (actor_role, action, table_name, resource_id)
    VALUES ('system', 'erase_user', 'audit_logs', 'pending') RETURNING seq INTO v_event;
    INSERT INTO audit_redactions (seq, erasure_seq, payload_hash)
    SELECT seq, v_event, app_audit_payload_hash(actor_user_id, subject_user_id, old_values, new_values, ip_address, user_agent)
      FROM audit_logs WHERE redacted_at IS NOT NULL;
    PERFORM app_audit_seal_erasure(v_event);
  END IF;
END
$do$;

-- Walks the chain in position order. ok = false names the first sealed row that was edited,
-- back-dated or deleted, a broken chain entry, a cut-off tail, a row inserted below the
-- sealed horizon outside the chain, a redacted row no recorded erasure accounts for, or an
-- erasure whose record of what it redacted was changed. pending_rows: rows not sealed yet.
-- For admins, 'system' and direct SQL by the owner.
CREATE OR REPLACE FUNCTION app_audit_verify(p_stale interval DEFAULT interval '1 hour')
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text, pending_rows bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  e record;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  v_stray bigint;
  v_missing bigint;
  v_prev_seq bigint := NULL;
  v_pending bigint;
  v_stale bigint;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  SELECT min(l.seq) FILTER (WHERE l.seq <= h.sealed_through),
         count(*) FILTER (WHERE l.seq > h.sealed_through),
         min(l.seq) FILTER (WHERE l.seq > h.sealed_through AND l.created_at < now() - p_stale)
    INTO v_stray, v_pending, v_stale
    FROM audit_logs l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
  FOR r IN
    SELECT c.position, c.seq AS chain_seq, c.payload_hash, c.prev_hash, c.row_hash, l.seq, l.created_at, l.actor_user_id,
           l.actor_role, l.action, l.table_name, l.resource_id, l.subject_user_id, l.old_values, l.new_values,
           l.ip_address, l.user_agent, l.request_id, l.redacted_at, x.payload_hash AS redacted_hash, x.erasure_seq
      FROM audit_chain c LEFT JOIN audit_logs l ON l.seq = c.seq
      LEFT JOIN LATERAL (SELECT ar.payload_hash, ar.erasure_seq FROM audit_redactions ar
                          WHERE ar.seq = c.seq ORDER BY ar.erasure_seq DESC LIMIT 1) x ON l.redacted_at IS NOT NULL
     ORDER BY c.position
  LOOP
    v_count := v_count + 1;
    IF r.position <> v_expected OR r.prev_hash <> v_prev THEN
      SELECT min(l.seq) INTO v_missing FROM audit_logs l
       WHERE l.seq < r.chain_seq AND (v_prev_seq IS NULL OR l.seq > v_prev_seq)
         AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
      RETURN QUERY SELECT false, v_count, coalesce(v_missing, v_stray, r.chain_seq),
        CASE WHEN r.position <> v_expected THEN format('chain positions %s..%s are missing (seals deleted)', v_expected, r.position - 1)
             ELSE 'prev_hash does not match the previous seal (a seal was deleted, inserted or edited)' END, NULL::bigint;
      RETURN;
    END IF;
    IF r.seq IS NULL THEN
      RETURN QUERY SELECT false, v_count, r.chain_seq, 'the sealed row is gone (deleted)', NULL::bigint;
      RETURN;
    END IF;
    IF r.redacted_at IS NULL THEN
      IF r.payload_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
        RETURN QUERY SELECT false, v_count, r.seq, 'payload (actor, subject, values, ip or user agent) was edited', NULL::bigint;
        RETURN;
      END IF;
    ELSIF r.redacted_hash IS NULL OR NOT EXISTS (SELECT 1 FROM audit_logs ev JOIN audit_chain ec ON ec.seq = ev.seq
                                                  WHERE ev.seq = r.erasure_seq AND ev.action = 'erase_user' AND ev.table_name = 'audit_logs') THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'a redacted row that no sealed erasure names (blanked outside an erasure)', NULL::bigint;
      RETURN;
    ELSIF r.redacted_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
      RETURN QUERY SELECT false, v_count, r.seq, format('a redacted row differs from what erasure %s left (edited)', r.erasure_seq), NULL::bigint;
      RETURN;
    END IF;
    IF r.row_hash <> app_audit_row_hash(r.seq, r.created_at, r.actor_role, r.action, r.table_name, r.resource_id,
                                        r.request_id, r.payload_hash, r.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'row content (time, role, action, table, resource) was edited', NULL::bigint;
      RETURN;
    END IF;
    v_prev := r.row_hash;
    v_prev_seq := r.seq;
    v_expected := v_expected + 1;
  END LOOP;
  IF h.last_position <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, NULL::bigint, format('the chain head says %s seals, %s are left: the last were deleted', h.last_position, v_expected - 1), NULL::bigint;
    RETURN;
  END IF;
  -- each sealed erasure's record of what it redacted is the one it sealed
  FOR e IN
    SELECT ev.seq, ev.new_values ->> 'digest' AS digest
      FROM audit_logs ev JOIN audit_chain ec ON ec.seq = ev.seq
     WHERE ev.action = 'erase_user' AND ev.table_name = 'audit_logs'
     ORDER BY ev.seq
  LOOP
    IF e.digest IS DISTINCT FROM app_audit_erasure_digest(e.seq) THEN
      RETURN QUERY SELECT false, v_count, e.seq, 'the record of what this erasure redacted was changed (audit_redactions)', NULL::bigint;
      RETURN;
    END IF;
  END LOOP;
  SELECT min(ar.erasure_seq) INTO v_missing FROM audit_redactions ar
   WHERE ar.erasure_seq <= h.sealed_through
     AND NOT EXISTS (SELECT 1 FROM audit_logs ev WHERE ev.seq = ar.erasure_seq AND ev.action = 'erase_user' AND ev.table_name = 'audit_logs');
  IF v_missing IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_missing, 'redaction entries name an erasure that is not in the log', NULL::bigint;
    RETURN;
  END IF;
  IF v_stray IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stray, 'a row below the sealed horizon is not in the chain (inserted behind the sealer''s back)', NULL::bigint;
    RETURN;
  END IF;
  IF v_stale IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stale, format('a row written more than %s ago is not sealed: no sealer runs, or its lock is held', p_stale), v_pending;
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text, v_pending;
END
$$;

/* migrate:down
-- (the erasure events stay in the log: they are sealed history; 012's verify ignores them)
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (coalesce(app_current_user_id() = p_user_id, false) OR app_is_admin() OR app_is_system()
          OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE audit_logs
     SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL,
         ip_address = NULL, user_agent = NULL, redacted_at = coalesce(redacted_at, now())
   WHERE actor_user_id = p_user_id OR subject_user_id = p_user_id
      OR (table_name = 'users' AND resource_id = p_user_id::text);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
-- Walks the chain in position order. ok = false names the first sealed row that was edited,
-- back-dated or deleted, a broken chain entry, a cut-off tail, or a row inserted below the
-- sealed horizon outside the chain. pending_rows: rows not sealed yet (the last moments).
-- For admins, 'system' and direct SQL by the owner.
CREATE OR REPLACE FUNCTION app_audit_verify(p_stale interval DEFAULT interval '1 hour')
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text, pending_rows bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  v_stray bigint;
  v_missing bigint;
  v_prev_seq bigint := NULL;
  v_pending bigint;
  v_stale bigint;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  -- the unsealed rows, in one pass: below the sealed horizon (slipped in, or its seal was
  -- deleted), above it (pending), and above it but older than p_stale (no sealer runs)
  SELECT min(l.seq) FILTER (WHERE l.seq <= h.sealed_through),
         count(*) FILTER (WHERE l.seq > h.sealed_through),
         min(l.seq) FILTER (WHERE l.seq > h.sealed_through AND l.created_at < now() - p_stale)
    INTO v_stray, v_pending, v_stale
    FROM audit_logs l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
  FOR r IN
    SELECT c.position, c.seq AS chain_seq, c.payload_hash, c.prev_hash, c.row_hash, l.seq, l.created_at, l.actor_user_id,
           l.actor_role, l.action, l.table_name, l.resource_id, l.subject_user_id, l.old_values, l.new_values,
           l.ip_address, l.user_agent, l.request_id, l.redacted_at
      FROM audit_chain c LEFT JOIN audit_logs l ON l.seq = c.seq
     ORDER BY c.position
  LOOP
    v_count := v_count + 1;
    IF r.position <> v_expected OR r.prev_hash <> v_prev THEN
      -- name the row whose seal is gone when there is one: an unsealed row between this seal's
      -- row and the previous one's (a batch seals in seq order), else one below the horizon
      SELECT min(l.seq) INTO v_missing FROM audit_logs l
       WHERE l.seq < r.chain_seq AND (v_prev_seq IS NULL OR l.seq > v_prev_seq)
         AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
      RETURN QUERY SELECT false, v_count, coalesce(v_missing, v_stray, r.chain_seq),
        CASE WHEN r.position <> v_expected THEN format('chain positions %s..%s are missing (seals deleted)', v_expected, r.position - 1)
             ELSE 'prev_hash does not match the previous seal (a seal was deleted, inserted or edited)' END, NULL::bigint;
      RETURN;
    END IF;
    IF r.seq IS NULL THEN
      RETURN QUERY SELECT false, v_count, r.chain_seq, 'the sealed row is gone (deleted)', NULL::bigint;
      RETURN;
    END IF;
    IF r.redacted_at IS NULL THEN
      IF r.payload_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
        RETURN QUERY SELECT false, v_count, r.seq, 'payload (actor, subject, values, ip or user agent) was edited', NULL::bigint;
        RETURN;
      END IF;
    ELSIF r.actor_user_id IS NOT NULL OR r.subject_user_id IS NOT NULL OR r.old_values IS NOT NULL
          OR r.new_values IS NOT NULL OR r.ip_address IS NOT NULL OR r.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'a redacted row carries personal data again (edited)', NULL::bigint;
      RETURN;
    END IF;
    IF r.row_hash <> app_audit_row_hash(r.seq, r.created_at, r.actor_role, r.action, r.table_name, r.resource_id,
                                        r.request_id, r.payload_hash, r.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'row content (time, role, action, table, resource) was edited', NULL::bigint;
      RETURN;
    END IF;
    v_prev := r.row_hash;
    v_prev_seq := r.seq;
    v_expected := v_expected + 1;
  END LOOP;
  IF h.last_position <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, NULL::bigint, format('the chain head says %s seals, %s are left: the last were deleted', h.last_position, v_expected - 1), NULL::bigint;
    RETURN;
  END IF;
  IF v_stray IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stray, 'a row below the sealed horizon is not in the chain (inserted behind the sealer''s back)', NULL::bigint;
    RETURN;
  END IF;
  IF v_stale IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stale, format('a row written more than %s ago is not sealed: no sealer runs, or its lock is held', p_stale), v_pending;
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text, v_pending;
END
$$;
REVOKE ALL ON FUNCTION app_audit_verify(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_verify(interval) TO dastern_app;

DROP FUNCTION app_audit_seal_erasure(bigint);
DROP FUNCTION app_audit_erasure_digest(bigint);
DROP TABLE audit_redactions;
*/
