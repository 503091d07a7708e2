-- 021_billing.sql — the money path (issue 15; CONTRACTS §5).
--  * Money in integer minor units: subscription_plans.price_usd_cents (derived from the seed's
--    numeric price_amount) and price_khr (riel; the riel has no minor unit in use, so 1 = 1 riel);
--    payment_transactions.amount_minor (cents for USD, riel for KHR) derived from amount, which
--    the service writes from integers only ($minor / 100 in numeric, never a float).
--  * payment_status gains 'expired' (a pending payment nobody paid before expires_at).
--  * payment_status_history: one row per status change, append-only (no UPDATE or DELETE grant,
--    and a trigger refusing both even to the owner), visible to whoever sees the payment.
--  * payment_webhook_events: each gateway event id once (a replay or duplicate changes nothing).
--  * billing_alerts: what an admin must look at (a webhook amount that differs from the order).
--  * credited_at: the instant the subscription was extended for a payment (exactly once).
--  * prescription_is_writable(id): a free user's prescriptions beyond the free limit (oldest
--    first) are read-only until she upgrades; nothing is deleted.

ALTER TYPE payment_status ADD VALUE IF NOT EXISTS 'expired';

ALTER TABLE subscription_plans
    ADD COLUMN price_usd_cents integer GENERATED ALWAYS AS ((price_amount * 100)::integer) STORED,
    ADD COLUMN price_khr bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT subscription_plans_price_khr_check CHECK (price_khr >= 0 AND (tier <> 'free' OR price_khr = 0)),
    ADD CONSTRAINT subscription_plans_price_cents_check CHECK (price_amount * 100 = trunc(price_amount * 100));
UPDATE subscription_plans SET price_khr = 2000 WHERE code = 'premium_monthly';
UPDATE subscription_plans SET price_khr = 20000 WHERE code = 'premium_yearly';

ALTER TABLE payment_transactions
    ADD COLUMN amount_minor bigint GENERATED ALWAYS AS ((CASE WHEN currency = 'KHR' THEN amount ELSE amount * 100 END)::bigint) STORED,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN credited_at timestamptz,
    ADD CONSTRAINT payment_transactions_khr_whole_check CHECK (currency <> 'KHR' OR amount = trunc(amount));
CREATE INDEX idx_payment_transactions_pending_expiry ON payment_transactions (expires_at) WHERE status = 'pending';

ALTER TABLE user_subscriptions ADD COLUMN renewal_reminded_for timestamptz;

CREATE TABLE payment_status_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id      uuid NOT NULL REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    from_status     payment_status,
    to_status       payment_status NOT NULL,
    source          text NOT NULL,
    reason          text,
    event_id        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_status_history_source_check CHECK (source ~ '^[a-z][a-z0-9_]{1,31}$'),
    CONSTRAINT payment_status_history_reason_check CHECK (length(reason) <= 500)
);
CREATE INDEX idx_payment_status_history_payment_id ON payment_status_history (payment_id, id);

CREATE OR REPLACE FUNCTION trg_append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON payment_status_history FOR EACH ROW
    EXECUTE FUNCTION trg_append_only();

CREATE TABLE payment_webhook_events (
    gateway         text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    payment_id      uuid REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    outcome         text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, event_id),
    CONSTRAINT payment_webhook_events_event_id_check CHECK (length(event_id) BETWEEN 1 AND 255)
);
CREATE INDEX idx_payment_webhook_events_payment_id ON payment_webhook_events (payment_id);

CREATE TABLE billing_alerts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL,
    payment_id      uuid REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    gateway         text,
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_alerts_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]{1,63}$'),
    CONSTRAINT billing_alerts_details_check CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX idx_billing_alerts_created_at ON billing_alerts (created_at DESC);
CREATE INDEX idx_billing_alerts_payment_id ON billing_alerts (payment_id);

ALTER TABLE payment_status_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_status_history FORCE ROW LEVEL SECURITY;
ALTER TABLE payment_webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_webhook_events FORCE ROW LEVEL SECURITY;
ALTER TABLE billing_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_alerts FORCE ROW LEVEL SECURITY;

-- history: seen with its payment (the payer, admins, 'system'); written by billing ('system') and admins
CREATE POLICY payment_status_history_select ON payment_status_history FOR SELECT USING (
    (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR EXISTS (SELECT 1 FROM payment_transactions p WHERE p.id = payment_id));
CREATE POLICY payment_status_history_insert ON payment_status_history FOR INSERT
    WITH CHECK ((SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY payment_webhook_events_all ON payment_webhook_events FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));
CREATE POLICY billing_alerts_all ON billing_alerts FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));

GRANT SELECT, INSERT ON payment_status_history, payment_webhook_events, billing_alerts TO dastern_app;
GRANT UPDATE (outcome) ON payment_webhook_events TO dastern_app;

CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON billing_alerts FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('id');

-- May the patient still change this prescription? Premium (or a plan without a prescription
-- limit): yes. Free: only her oldest max_prescriptions non-deleted prescriptions; the newer ones
-- stay readable but frozen until she upgrades. An unknown or deleted id answers true (the
-- caller's own lookup answers 404).
CREATE OR REPLACE FUNCTION prescription_is_writable(p_prescription_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_patient uuid;
  v_created timestamptz;
  v_limits jsonb;
  v_rank integer;
BEGIN
  SELECT p.patient_id, p.created_at INTO v_patient, v_created
  FROM prescriptions p WHERE p.id = p_prescription_id AND p.deleted_at IS NULL;
  IF NOT FOUND THEN
    RETURN true;
  END IF;
  IF NOT app_can_act_for(v_patient) THEN
    RAISE EXCEPTION 'permission denied for another user''s prescription' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT pl.limits INTO v_limits
  FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
  WHERE s.user_id = v_patient AND s.status IN ('active', 'trialing')
    AND s.current_period_start <= now() AND s.current_period_end > now()
  ORDER BY (pl.tier = 'premium') DESC, s.current_period_end DESC
  LIMIT 1;
  IF NOT FOUND THEN
    SELECT pl.limits INTO v_limits FROM subscription_plans pl WHERE pl.code = 'free';
    v_limits := coalesce(v_limits, '{"max_prescriptions": 10}'::jsonb);
  END IF;
  IF jsonb_typeof(v_limits -> 'max_prescriptions') IS DISTINCT FROM 'number' THEN
    RETURN true;
  END IF;
  SELECT count(*)::integer INTO v_rank FROM prescriptions p
  WHERE p.patient_id = v_patient AND p.deleted_at IS NULL
    AND (p.created_at, p.id) <= (v_created, p_prescription_id);
  RETURN v_rank <= (v_limits ->> 'max_prescriptions')::numeric::integer;
END
$$;
REVOKE ALL ON FUNCTION prescription_is_writable(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prescription_is_writable(uuid) TO dastern_app;

/* migrate:down
DROP FUNCTION prescription_is_writable(uuid);
DROP TABLE billing_alerts;
DROP TABLE payment_webhook_events;
DROP TABLE payment_status_history;
DROP FUNCTION trg_append_only();
ALTER TABLE user_subscriptions DROP COLUMN renewal_reminded_for;
DROP INDEX idx_payment_transactions_pending_expiry;
ALTER TABLE payment_transactions DROP CONSTRAINT payment_transactions_khr_whole_check,
    DROP COLUMN credited_at, DROP COLUMN expires_at, DROP COLUMN amount_minor;
ALTER TABLE subscription_plans DROP CONSTRAINT subscription_plans_price_cents_check,
    DROP CONSTRAINT subscription_plans_price_khr_check, DROP COLUMN price_khr, DROP COLUMN price_usd_cents;
-- an enum value cannot be dropped: the type is rebuilt without 'expired' (expired payments
-- become failed, reason 'expired')
UPDATE payment_transactions SET status = 'failed', failure_reason = coalesce(failure_reason, 'expired') WHERE status::text = 'expired';
DROP INDEX idx_payment_transactions_status;
ALTER TABLE payment_transactions DROP CONSTRAINT payment_transactions_failed_check,
    DROP CONSTRAINT payment_transactions_completed_check, DROP CONSTRAINT payment_transactions_refunded_check;
ALTER TABLE payment_transactions ALTER COLUMN status DROP DEFAULT;
ALTER TYPE payment_status RENAME TO payment_status_021;
CREATE TYPE payment_status AS ENUM ('pending', 'completed', 'failed', 'refunded');
ALTER TABLE payment_transactions ALTER COLUMN status TYPE payment_status USING status::text::payment_status;
ALTER TABLE payment_transactions ALTER COLUMN status SET DEFAULT 'pending';
DROP TYPE payment_status_021;
ALTER TABLE payment_transactions
    ADD CONSTRAINT payment_transactions_failed_check CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
    ADD CONSTRAINT payment_transactions_completed_check CHECK (status NOT IN ('completed', 'refunded') OR paid_at IS NOT NULL),
    ADD CONSTRAINT payment_transactions_refunded_check CHECK (status <> 'refunded' OR refunded_at IS NOT NULL);
CREATE INDEX idx_payment_transactions_status ON payment_transactions (status, created_at);
*/
