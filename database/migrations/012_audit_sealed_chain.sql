-- 012_audit_sealed_chain.sql — the audit trail's hash chain, sealed in batches (issue 4: a read
-- of medical data writes an audit row; that row must not serialise every request).
-- Until 011 each audit insert locked the single audit_chain_head row until its transaction
-- committed, to take the next gapless seq and chain its hash: every request that wrote an audit
-- row waited for every other one (a lock convoy: ~550 inserts/s at most on 2 cores, whatever
-- the concurrency). Now:
--  * An insert takes no lock: a BEFORE INSERT trigger gives the row its seq (from a sequence:
--    unique and increasing, with gaps where a transaction rolled back), its time, and redacts
--    secrets. Nothing about the chain is computed there.
--  * The chain lives in audit_chain: one row per sealed audit row, in sealing order (position
--    1, 2, 3 … gapless), with payload_hash (sha256 of the personal parts), prev_hash and
--    row_hash, the same formulas as before. app_audit_seal() appends every committed, unsealed
--    audit row to it in seq order; one sealer at a time (an advisory lock; a second sealer
--    returns -1 at once), a batch per call; a call with nothing to do writes nothing. The service calls it every second (DASTERN_AUDIT_SEAL_INTERVAL_MS) and
--    `dastern audit verify` calls it before checking.
--  * Which rows are still unsealed is known without scanning the table: the head keeps
--    sealed_through, a seq below which every row is final and sealed. Each call records a
--    horizon: the sequence's last value, then a fresh xid of its own. The trigger makes a writer
--    take its xid before its seq, and xids are handed out in order, so every transaction holding
--    a seq ≤ that value has a smaller xid; once the current snapshot's xmin has passed the
--    recorded xid, all of them have ended, and sealed_through advances to the horizon.
--    (A snapshot's xmax would not do: it is one past the last *completed* xid, and a writer
--    still open above it would be passed over — found by review, covered by a test.)
--    A transaction that keeps an xid open (in any database of the cluster) holds the horizon
--    back: sealing stays correct, its scan above sealed_through grows.
--  * app_audit_verify() walks the chain: a sealed row edited, back-dated or deleted, a chain
--    entry removed or altered, the tail cut off (the head), and a row that appears below
--    sealed_through without being in the chain (inserted behind the sealer's back) are named by
--    seq. Rows written in the last moments and not sealed yet are counted as pending_rows; a row
--    still unsealed after p_stale (1 hour) fails the check: no sealer runs, or its lock is held.
--  * audit_logs keeps the record itself (erasure blanks its personal columns, as before); its
--    old hash columns move into audit_chain (existing rows keep their hashes: position = seq).
--  * The hash helpers lose their SET search_path (names qualified instead), which made every
--    call a separately planned function; app_audit_redact becomes PL/pgSQL (its plan is kept)
--    and returns at once when no key could be a secret (a regular expression over the text):
--    it was most of an audit insert's cost. Same results.
-- audit_chain and audit_chain_head hold no personal data: RLS stays enabled without FORCE, so
-- the owner's SECURITY DEFINER functions reach them and the service role (no grants) cannot.
-- This migration is mirrored at the end of schema.sql.

-- ---------------------------------------------------------------- hash helpers (same results)
CREATE OR REPLACE FUNCTION app_audit_payload_hash(p_actor uuid, p_subject uuid, p_old jsonb, p_new jsonb, p_ip inet, p_user_agent text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.encode(public.digest(pg_catalog.concat_ws('|', coalesce(p_actor::text, ''), coalesce(p_subject::text, ''),
                                 coalesce(p_old::text, ''), coalesce(p_new::text, ''),
                                 coalesce(pg_catalog.host(p_ip), ''), coalesce(p_user_agent, '')), 'sha256'), 'hex')
$$;

CREATE OR REPLACE FUNCTION app_audit_row_hash(p_seq bigint, p_created_at timestamptz, p_actor_role text, p_action text,
                                              p_table_name text, p_resource_id text, p_request_id text,
                                              p_payload_hash text, p_prev_hash text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.encode(public.digest(pg_catalog.concat_ws('|', p_seq::text,
                                 pg_catalog.to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                 coalesce(p_actor_role, ''), p_action, coalesce(p_table_name, ''),
                                 coalesce(p_resource_id, ''), coalesce(p_request_id, ''),
                                 p_payload_hash, p_prev_hash), 'sha256'), 'hex')
$$;

-- Secrets never reach the audit log: keys that look like passwords, tokens or codes are masked,
-- and the Web Push endpoint and keys. (Built-in names only: they resolve in pg_catalog first.)
CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
  IF p_values IS NULL OR pg_catalog.jsonb_typeof(p_values) <> 'object'
     OR NOT (p_values::text ~* '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)'
             OR pg_catalog.lower(p_values::text) ~ '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)') THEN
    RETURN p_values;  -- no key can match below (both ways of ignoring case, as below)
  END IF;
  RETURN (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key,
                    CASE WHEN (e.key ~* '(password|token|secret|invitation_code|otp)'
                               OR pg_catalog.lower(e.key) IN ('endpoint', 'p256dh', 'auth'))
                          AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM pg_catalog.jsonb_each(p_values) AS e);
END
$$;

-- ---------------------------------------------------------------- the chain, apart from the rows
CREATE TABLE audit_chain (
    position     bigint PRIMARY KEY,     -- 1, 2, 3 … in sealing order, gapless
    seq          bigint NOT NULL,        -- the audit_logs row (no foreign key: a deleted row must show as deleted)
    payload_hash text NOT NULL,
    prev_hash    text NOT NULL,
    row_hash     text NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_chain_seq_key UNIQUE (seq),
    CONSTRAINT audit_chain_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$' AND row_hash ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE audit_chain IS 'The tamper-evident seal of audit_logs: row_hash = sha256(seq | created_at | role | action | table | resource | request | payload_hash | prev_hash), chained in position order (app_audit_seal, app_audit_verify).';

INSERT INTO audit_chain (position, seq, payload_hash, prev_hash, row_hash, sealed_at)
SELECT seq, seq, payload_hash, prev_hash, row_hash, created_at FROM audit_logs ORDER BY seq;

ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_hash_check;
ALTER TABLE audit_logs DROP COLUMN payload_hash, DROP COLUMN prev_hash, DROP COLUMN row_hash;

CREATE SEQUENCE audit_logs_seq AS bigint;
SELECT setval('audit_logs_seq', coalesce((SELECT max(seq) FROM audit_logs), 0) + 1, false);
ALTER SEQUENCE audit_logs_seq OWNED BY audit_logs.seq;
GRANT USAGE ON SEQUENCE audit_logs_seq TO dastern_app;

ALTER TABLE audit_chain_head RENAME COLUMN last_seq TO last_position;
ALTER TABLE audit_chain_head
    ADD COLUMN sealed_through bigint NOT NULL DEFAULT 0,
    ADD COLUMN horizon_seq    bigint,
    ADD COLUMN horizon_xmax   xid8;
UPDATE audit_chain_head SET sealed_through = last_position WHERE id = 1;
COMMENT ON COLUMN audit_chain_head.sealed_through IS 'every audit_logs row with seq ≤ this is final and in audit_chain';

ALTER TABLE audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON audit_chain, audit_chain_head FROM PUBLIC;

-- ---------------------------------------------------------------- the insert: no lock, no hashing
DROP TRIGGER audit_logs_chain ON audit_logs;
DROP FUNCTION trg_audit_logs_chain();

-- Gives a new audit row its seq and time (whatever the writer said) and redacts secrets in
-- rows written directly (rows from trg_audit_row_change, one trigger level down, are redacted
-- there already). Takes the transaction's xid before the seq: see app_audit_seal.
CREATE FUNCTION trg_audit_logs_prepare() RETURNS trigger
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
CREATE TRIGGER audit_logs_prepare BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION trg_audit_logs_prepare();

-- ---------------------------------------------------------------- sealing
-- Appends committed, unsealed audit rows to the chain in seq order (at most p_limit per call)
-- and returns how many. Another sealer busy → 0 at once. Anyone may call it: it only chains
-- rows that exist. See the head's comment above for sealed_through and the horizon.
CREATE FUNCTION app_audit_seal(p_limit integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  h audit_chain_head%ROWTYPE;
  a record;
  v_settled boolean;
  v_position bigint;
  v_prev text;
  v_payload text;
  v_hash text;
  v_n integer := 0;
  v_through bigint;
  v_last bigint;
  v_called boolean;
  v_horizon bigint;
  v_hx xid8;
BEGIN
  -- one sealer at a time (a transaction-level advisory lock: an idle call writes nothing);
  -- -1 tells the caller another sealer holds it
  IF NOT pg_try_advisory_xact_lock(hashtext('dastern'), hashtext('audit_seal')) THEN
    RETURN -1;
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  -- The next horizon: the sequence first, then a new xid of our own. Xids are handed out in
  -- order and a writer takes its xid before its seq, so every transaction holding a seq ≤
  -- v_horizon has an xid below ours. Only when this transaction had no xid yet (an older one of
  -- ours proves nothing) and the sequence moved (an idle call writes nothing).
  IF pg_current_xact_id_if_assigned() IS NULL THEN
    SELECT last_value, is_called INTO v_last, v_called FROM audit_logs_seq;
    v_horizon := CASE WHEN v_called THEN v_last ELSE v_last - 1 END;
    IF v_horizon IS DISTINCT FROM h.horizon_seq THEN
      v_hx := pg_current_xact_id();
    END IF;
  END IF;
  -- settled: no transaction with an xid ≤ the recorded one is running any more, so every row
  -- with seq ≤ horizon_seq is committed (and visible to the query below) or rolled back
  v_settled := h.horizon_xmax IS NOT NULL AND pg_snapshot_xmin(pg_current_snapshot()) > h.horizon_xmax;
  v_position := h.last_position;
  v_prev := h.last_hash;
  FOR a IN
    SELECT l.seq, l.created_at, l.actor_user_id, l.actor_role, l.action, l.table_name, l.resource_id,
           l.subject_user_id, l.old_values, l.new_values, l.ip_address, l.user_agent, l.request_id
      FROM audit_logs l
     WHERE l.seq > h.sealed_through
       AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq)
     ORDER BY l.seq
     LIMIT p_limit
  LOOP
    v_position := v_position + 1;
    v_payload := app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent);
    v_hash := app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                 a.request_id, v_payload, v_prev);
    INSERT INTO audit_chain (position, seq, payload_hash, prev_hash, row_hash) VALUES (v_position, a.seq, v_payload, v_prev, v_hash);
    v_prev := v_hash;
    v_n := v_n + 1;
  END LOOP;
  v_through := h.sealed_through;
  IF v_settled AND v_n < p_limit THEN
    v_through := greatest(v_through, h.horizon_seq);
  END IF;
  IF v_n > 0 OR v_through <> h.sealed_through OR v_hx IS NOT NULL THEN
    UPDATE audit_chain_head
       SET last_position = v_position, last_hash = v_prev, sealed_through = v_through,
           horizon_seq = CASE WHEN v_hx IS NULL THEN horizon_seq ELSE v_horizon END,
           horizon_xmax = coalesce(v_hx, horizon_xmax), updated_at = now()
     WHERE id = 1;
  END IF;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION app_audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_seal(integer) TO dastern_app;

-- ---------------------------------------------------------------- verification
DROP FUNCTION app_audit_verify();
-- Walks the chain in position order. ok = false names the first sealed row that was edited,
-- back-dated or deleted, a broken chain entry, a cut-off tail, or a row inserted below the
-- sealed horizon outside the chain. pending_rows: rows not sealed yet (the last moments).
-- For admins, 'system' and direct SQL by the owner.
CREATE FUNCTION app_audit_verify(p_stale interval DEFAULT interval '1 hour')
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

/* migrate:down
-- a rollback re-hashes the log: refuse it over a chain that does not verify now
DO $do$
DECLARE
  v record;
BEGIN
  PERFORM app_audit_seal();
  SELECT * INTO v FROM app_audit_verify();
  IF NOT v.ok THEN
    RAISE EXCEPTION 'the audit chain does not verify (seq %: %): investigate before rolling back 012', v.first_bad_seq, v.problem;
  END IF;
END
$do$;
DROP FUNCTION app_audit_verify(interval);
DROP FUNCTION app_audit_seal(integer);
DROP TRIGGER audit_logs_prepare ON audit_logs;
DROP FUNCTION trg_audit_logs_prepare();
ALTER TABLE audit_chain_head FORCE ROW LEVEL SECURITY;

-- back to one gapless seq in chain order with the hashes on the rows: renumber and rehash
-- (unsealed rows go last). A rollback re-seals the log from scratch.
ALTER TABLE audit_logs ADD COLUMN payload_hash text, ADD COLUMN prev_hash text, ADD COLUMN row_hash text;
DROP SEQUENCE audit_logs_seq;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_seq_key;
UPDATE audit_logs l SET seq = -o.n
  FROM (SELECT l2.seq, row_number() OVER (ORDER BY c.position NULLS LAST, l2.seq) AS n
          FROM audit_logs l2 LEFT JOIN audit_chain c ON c.seq = l2.seq) o
 WHERE o.seq = l.seq;
UPDATE audit_logs SET seq = -seq;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_seq_key UNIQUE (seq);
DO $do$
DECLARE
  a record;
  v_prev text := repeat('0', 64);
  v_payload text;
  v_hash text;
BEGIN
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_payload := app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent);
    v_hash := app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id, a.request_id, v_payload, v_prev);
    UPDATE audit_logs SET payload_hash = v_payload, prev_hash = v_prev, row_hash = v_hash WHERE seq = a.seq;
    v_prev := v_hash;
  END LOOP;
  UPDATE audit_chain_head SET last_position = coalesce((SELECT max(seq) FROM audit_logs), 0), last_hash = v_prev WHERE id = 1;
END
$do$;
ALTER TABLE audit_logs ALTER COLUMN payload_hash SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$' AND row_hash ~ '^[0-9a-f]{64}$');
ALTER TABLE audit_chain_head DROP COLUMN sealed_through, DROP COLUMN horizon_seq, DROP COLUMN horizon_xmax;
ALTER TABLE audit_chain_head RENAME COLUMN last_position TO last_seq;
DROP TABLE audit_chain;

CREATE OR REPLACE FUNCTION trg_audit_logs_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  h audit_chain_head%ROWTYPE;
BEGIN
  -- the row lock serialises writers until commit, so seq follows commit order
  SELECT * INTO h FROM audit_chain_head WHERE id = 1 FOR UPDATE;
  NEW.seq := h.last_seq + 1;
  NEW.prev_hash := h.last_hash;
  NEW.created_at := clock_timestamp();
  NEW.redacted_at := NULL;
  NEW.old_values := app_audit_redact(NEW.old_values);
  NEW.new_values := app_audit_redact(NEW.new_values);
  NEW.payload_hash := app_audit_payload_hash(NEW.actor_user_id, NEW.subject_user_id, NEW.old_values, NEW.new_values,
                                             NEW.ip_address, NEW.user_agent);
  NEW.row_hash := app_audit_row_hash(NEW.seq, NEW.created_at, NEW.actor_role, NEW.action, NEW.table_name,
                                     NEW.resource_id, NEW.request_id, NEW.payload_hash, NEW.prev_hash);
  UPDATE audit_chain_head SET last_seq = NEW.seq, last_hash = NEW.row_hash, updated_at = NEW.created_at WHERE id = 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION trg_audit_logs_chain();

CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN p_values
    ELSE (SELECT coalesce(jsonb_object_agg(e.key,
                    CASE WHEN (e.key ~* '(password|token|secret|invitation_code|otp)'
                               OR lower(e.key) IN ('endpoint', 'p256dh', 'auth'))
                          AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM jsonb_each(p_values) AS e) END
$$;

CREATE OR REPLACE FUNCTION app_audit_payload_hash(p_actor uuid, p_subject uuid, p_old jsonb, p_new jsonb, p_ip inet, p_user_agent text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(concat_ws('|', coalesce(p_actor::text, ''), coalesce(p_subject::text, ''),
                                 coalesce(p_old::text, ''), coalesce(p_new::text, ''),
                                 coalesce(host(p_ip), ''), coalesce(p_user_agent, '')), 'sha256'), 'hex')
$$;
CREATE OR REPLACE FUNCTION app_audit_row_hash(p_seq bigint, p_created_at timestamptz, p_actor_role text, p_action text,
                                              p_table_name text, p_resource_id text, p_request_id text,
                                              p_payload_hash text, p_prev_hash text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(concat_ws('|', p_seq::text,
                                 to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                 coalesce(p_actor_role, ''), p_action, coalesce(p_table_name, ''),
                                 coalesce(p_resource_id, ''), coalesce(p_request_id, ''),
                                 p_payload_hash, p_prev_hash), 'sha256'), 'hex')
$$;

CREATE OR REPLACE FUNCTION app_audit_verify()
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  a audit_logs%ROWTYPE;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_count := v_count + 1;
    IF a.seq <> v_expected THEN
      RETURN QUERY SELECT false, v_count, v_expected, format('rows %s..%s are missing (deleted) or seq was edited', v_expected, a.seq - 1);
      RETURN;
    END IF;
    IF a.prev_hash <> v_prev THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'prev_hash does not match the previous row (a row was deleted, inserted or edited)';
      RETURN;
    END IF;
    IF a.redacted_at IS NULL THEN
      IF a.payload_hash <> app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent) THEN
        RETURN QUERY SELECT false, v_count, a.seq, 'payload (actor, subject, values, ip or user agent) was edited';
        RETURN;
      END IF;
    ELSIF a.actor_user_id IS NOT NULL OR a.subject_user_id IS NOT NULL OR a.old_values IS NOT NULL
          OR a.new_values IS NOT NULL OR a.ip_address IS NOT NULL OR a.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'a redacted row carries personal data again (edited)';
      RETURN;
    END IF;
    IF a.row_hash <> app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                        a.request_id, a.payload_hash, a.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'row content (time, role, action, table, resource) was edited';
      RETURN;
    END IF;
    v_prev := a.row_hash;
    v_expected := v_expected + 1;
  END LOOP;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  IF h.last_seq <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, v_expected, format('the chain head says %s rows; the last rows were deleted', h.last_seq);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text;
END
$$;
REVOKE ALL ON FUNCTION app_audit_verify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_verify() TO dastern_app;
*/
