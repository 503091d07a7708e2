-- 020_auth_throttle_push_proof.sql — sign-in throttling that neither tells who has an account
-- nor hands an attacker a denial of service on the victim, and no silent push takeover (issue
-- 16, items 5 and 6; issue 10, item 7).
--  * auth_throttle counts failed sign-ins under three keys, each a sha256 the service computes:
--    the (client IP, e-mail) pair, the e-mail alone (the account, whether it exists or not) and
--    the client IP alone. A key at its limit within the window is blocked with a backoff that
--    doubles with each further failure (from p_base up to p_cap). Keyed by the e-mail address,
--    not the account, an unknown address is throttled exactly like an existing one. The pair
--    limit is low (the attacker's own IP against one address); the account limit higher (many
--    IPs against one address) and the IP limit higher still (one IP spraying addresses): the
--    owner, from another IP, is not locked out by a single attacker, and a password reset
--    lifts every block on the address (app_auth_throttle_lift).
--    users.locked_until / failed_login_count are no longer written by the service (the old
--    function app_auth_record_login_failure stays for compatibility).
--  * app_push_subscribe: an endpoint registered by another account moves only with proof, the
--    same keys (p256dh and auth: the browser's subscription itself); otherwise it is refused
--    (SQLSTATE 23505 on push_subscriptions_endpoint_key, as a unique violation: it is taken).

CREATE TABLE auth_throttle (
    kind          text NOT NULL,          -- 'pair' (ip + e-mail), 'account' (e-mail), 'ip'
    key_hash      text NOT NULL,          -- sha256 hex, computed by the service
    email_hash    text,                   -- sha256 hex of the e-mail ('pair' and 'account'): what a reset lifts
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_throttle_pkey PRIMARY KEY (kind, key_hash),
    CONSTRAINT auth_throttle_kind_check CHECK (kind IN ('pair', 'account', 'ip')),
    CONSTRAINT auth_throttle_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$' AND (email_hash IS NULL OR email_hash ~ '^[0-9a-f]{64}$'))
);
CREATE INDEX idx_auth_throttle_email_hash ON auth_throttle (email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX idx_auth_throttle_updated_at ON auth_throttle (updated_at);
COMMENT ON TABLE auth_throttle IS 'Failed sign-ins per (ip, e-mail), e-mail and ip, as hashes; reached only through app_auth_throttle_* (SECURITY DEFINER).';
ALTER TABLE auth_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_throttle FORCE ROW LEVEL SECURITY;
REVOKE ALL ON auth_throttle FROM PUBLIC;

-- The latest block among the keys still running, or NULL.
CREATE FUNCTION app_auth_throttle_blocked(p_keys text[]) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT max(t.blocked_until) FROM auth_throttle t
   WHERE t.kind || ':' || t.key_hash = ANY (p_keys) AND t.blocked_until > now()
$$;

-- Counts one failure under each key (p_limits: the pair's, the account's and the ip's limit)
-- and returns the latest block now running, or NULL. A window that ended without a running
-- block starts again. A new block on an existing account (p_user_id) is audited ('lockout').
CREATE FUNCTION app_auth_throttle_fail(p_pair text, p_account text, p_ip text, p_email_hash text, p_user_id uuid,
                                       p_limits integer[], p_window interval, p_base interval, p_cap interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_kinds text[] := ARRAY['pair', 'account', 'ip'];
  v_keys text[] := ARRAY[p_pair, p_account, p_ip];
  v_until timestamptz;
  v_latest timestamptz;
  r auth_throttle%ROWTYPE;
BEGIN
  IF p_limits IS NULL OR array_length(p_limits, 1) <> 3 OR p_window IS NULL OR p_base IS NULL OR p_cap IS NULL THEN
    RAISE EXCEPTION 'invalid throttle parameters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR i IN 1..3 LOOP
    CONTINUE WHEN v_keys[i] IS NULL;
    INSERT INTO auth_throttle AS t (kind, key_hash, email_hash, failures)
    VALUES (v_kinds[i], v_keys[i], CASE WHEN v_kinds[i] <> 'ip' THEN p_email_hash END, 1)
    ON CONFLICT (kind, key_hash) DO UPDATE
       SET failures = CASE WHEN t.window_start <= now() - p_window AND coalesce(t.blocked_until <= now(), true) THEN 1 ELSE t.failures + 1 END,
           window_start = CASE WHEN t.window_start <= now() - p_window AND coalesce(t.blocked_until <= now(), true) THEN now() ELSE t.window_start END,
           updated_at = now()
    RETURNING t.* INTO r;
    IF r.failures >= p_limits[i] THEN
      v_until := now() + least(p_cap, p_base * power(2, least(r.failures - p_limits[i], 20)));
      UPDATE auth_throttle SET blocked_until = v_until WHERE kind = r.kind AND key_hash = r.key_hash;
      IF p_user_id IS NOT NULL AND v_kinds[i] <> 'ip' THEN
        INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent)
        VALUES (NULL, app_current_role(), 'lockout', 'users', p_user_id::text, p_user_id,
                jsonb_build_object('scope', v_kinds[i], 'blocked_until', v_until, 'failures', r.failures),
                app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024));
      END IF;
      v_latest := greatest(v_latest, v_until);
    ELSIF r.blocked_until > now() THEN
      v_latest := greatest(v_latest, r.blocked_until);
    END IF;
  END LOOP;
  RETURN v_latest;
END
$$;

-- A successful sign-in: the pair and the account start afresh (the ip's count stays).
CREATE FUNCTION app_auth_throttle_clear(p_pair text, p_account text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  DELETE FROM auth_throttle WHERE (kind = 'pair' AND key_hash = p_pair) OR (kind = 'account' AND key_hash = p_account)
$$;

-- A password reset (the owner proved she reads the mailbox): every block on the address goes.
CREATE FUNCTION app_auth_throttle_lift(p_email_hash text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  DELETE FROM auth_throttle WHERE email_hash = p_email_hash;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  UPDATE users SET locked_until = NULL, failed_login_count = 0, failed_login_window_start = NULL
   WHERE id = app_current_user_id() AND locked_until IS NOT NULL;
  RETURN v_n;
END
$$;

-- Rows whose window and block are long over (maintenance may call it; 'system' or the owner).
CREATE FUNCTION app_auth_throttle_cleanup(p_older_than interval DEFAULT interval '1 day') RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM auth_throttle WHERE updated_at < now() - p_older_than AND coalesce(blocked_until < now(), true);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION app_auth_throttle_blocked(text[]), app_auth_throttle_fail(text, text, text, text, uuid, integer[], interval, interval, interval),
    app_auth_throttle_clear(text, text), app_auth_throttle_lift(text), app_auth_throttle_cleanup(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_auth_throttle_blocked(text[]), app_auth_throttle_fail(text, text, text, text, uuid, integer[], interval, interval, interval),
    app_auth_throttle_clear(text, text), app_auth_throttle_lift(text), app_auth_throttle_cleanup(interval) TO dastern_app;

-- Push: another account's endpoint moves only with the same keys (proof of the subscription).
CREATE OR REPLACE FUNCTION app_push_subscribe(p_endpoint text, p_p256dh text, p_auth text, p_user_agent text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_id uuid;
  v_owner uuid;
  v_same_keys boolean;
BEGIN
  IF v_me IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'permission denied: push subscriptions need a signed-in user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT s.user_id, (s.p256dh = p_p256dh AND s.auth = p_auth) INTO v_owner, v_same_keys
    FROM push_subscriptions s WHERE s.endpoint = p_endpoint FOR UPDATE;
  IF FOUND AND v_owner <> v_me AND NOT v_same_keys THEN
    RAISE EXCEPTION 'this push endpoint belongs to another account' USING ERRCODE = 'unique_violation', CONSTRAINT = 'push_subscriptions_endpoint_key';
  END IF;
  INSERT INTO push_subscriptions AS s (user_id, endpoint, p256dh, auth, user_agent)
  VALUES (v_me, p_endpoint, p_p256dh, p_auth, left(p_user_agent, 1024))
  ON CONFLICT (endpoint) DO UPDATE
     SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
         user_agent = EXCLUDED.user_agent, failure_count = 0, disabled_at = NULL
  RETURNING s.id INTO v_id;
  RETURN v_id;
END
$$;

/* migrate:down
CREATE OR REPLACE FUNCTION app_push_subscribe(p_endpoint text, p_p256dh text, p_auth text, p_user_agent text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_id uuid;
BEGIN
  IF v_me IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'permission denied: push subscriptions need a signed-in user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO push_subscriptions AS s (user_id, endpoint, p256dh, auth, user_agent)
  VALUES (v_me, p_endpoint, p_p256dh, p_auth, left(p_user_agent, 1024))
  ON CONFLICT (endpoint) DO UPDATE
     SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
         user_agent = EXCLUDED.user_agent, failure_count = 0, disabled_at = NULL
  RETURNING s.id INTO v_id;
  RETURN v_id;
END
$$;
DROP FUNCTION app_auth_throttle_cleanup(interval);
DROP FUNCTION app_auth_throttle_lift(text);
DROP FUNCTION app_auth_throttle_clear(text, text);
DROP FUNCTION app_auth_throttle_fail(text, text, text, text, uuid, integer[], interval, interval, interval);
DROP FUNCTION app_auth_throttle_blocked(text[]);
DROP TABLE auth_throttle;
*/
