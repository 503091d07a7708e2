-- 006_push_subscriptions.sql — Web Push subscriptions (one row per browser/device of a user).
--   * The dispatcher (app.user_role = 'system') reads them to deliver, counts failures, stamps
--     last_success_at, and disables dead endpoints (disabled_at) after a 404/410.
--   * RLS: the owner manages her own; 'system' everything; admins nothing (not even read).
--   * The endpoint is a capability URL and p256dh/auth are key material: app_audit_redact now
--     masks the keys endpoint, p256dh and auth in audit rows.
--   * app_push_subscribe(): subscribe the signed-in user; an endpoint already registered by
--     another account (a shared browser, the previous user signed out) moves to the new one,
--     which plain INSERT … ON CONFLICT cannot do under RLS (the other user's row is invisible).

CREATE TABLE push_subscriptions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint         text NOT NULL,
    p256dh           text NOT NULL,
    auth             text NOT NULL,
    user_agent       text,
    failure_count    integer NOT NULL DEFAULT 0,
    last_success_at  timestamptz,
    disabled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint),
    -- https anywhere; plain http only to the loopback (tests, local push services)
    CONSTRAINT push_subscriptions_endpoint_check CHECK (
        length(endpoint) <= 2048
        AND endpoint ~ '^https?://'
        AND endpoint !~ '\s'
        AND (endpoint ~ '^https://[^/?#\s]+' OR endpoint ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/|$)')),
    -- the client's P-256 public key: 65 bytes, base64url (87 characters, optionally padded)
    CONSTRAINT push_subscriptions_p256dh_check CHECK (p256dh ~ '^[A-Za-z0-9_-]{87}=?$'),
    -- the auth secret: at least 16 bytes (22 base64url characters), at most 64 bytes
    CONSTRAINT push_subscriptions_auth_check CHECK (auth ~ '^[A-Za-z0-9_-]{22,86}={0,2}$'),
    CONSTRAINT push_subscriptions_user_agent_check CHECK (length(user_agent) <= 1024),
    CONSTRAINT push_subscriptions_failure_count_check CHECK (failure_count >= 0)
);
COMMENT ON TABLE push_subscriptions IS 'Web Push subscriptions (endpoint + p256dh/auth keys, base64url) per user device. disabled_at: the push service said the endpoint is gone; failure_count: consecutive failed deliveries.';

CREATE INDEX idx_push_subscriptions_user_id ON push_subscriptions (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON push_subscriptions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON push_subscriptions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id', 'failure_count', 'last_success_at');

ALTER TABLE push_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE push_subscriptions FORCE ROW LEVEL SECURITY;
-- the owner manages her devices; 'system' (the dispatcher) delivers and disables; admins nothing
CREATE POLICY push_subscriptions_owner ON push_subscriptions FOR ALL
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY push_subscriptions_system ON push_subscriptions FOR ALL
    USING ((SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));

GRANT SELECT, INSERT, UPDATE, DELETE ON push_subscriptions TO dastern_app;

-- Secrets never reach the audit log: keys that look like passwords, tokens or codes are masked,
-- and the Web Push endpoint and keys.
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

-- Subscribe the signed-in user (app.user_id, active account) to Web Push; returns the row id.
-- An endpoint already known (this user re-subscribing, or another account on the same
-- browser) is taken over: new keys, this user, failures cleared, enabled again.
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

REVOKE ALL ON FUNCTION app_push_subscribe(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_push_subscribe(text, text, text, text) TO dastern_app;

/* migrate:down
REVOKE ALL ON FUNCTION app_push_subscribe(text, text, text, text) FROM dastern_app;
DROP FUNCTION IF EXISTS app_push_subscribe(text, text, text, text);
CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN p_values
    ELSE (SELECT coalesce(jsonb_object_agg(e.key,
                    CASE WHEN e.key ~* '(password|token|secret|invitation_code|otp)' AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM jsonb_each(p_values) AS e) END
$$;
DROP TABLE IF EXISTS push_subscriptions;
*/
