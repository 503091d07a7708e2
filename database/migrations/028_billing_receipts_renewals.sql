-- 028_billing_receipts_renewals.sql — receipts, refunds through the gateway, card renewals (issue 15).
--  * payment_transactions.receipt_number: "DT-YYYY-NNNNNN", one series per calendar year
--    (Asia/Phnom_Penh) with no gaps: a BEFORE UPDATE trigger takes the next number from
--    billing_receipt_series in the transaction that completes the payment (a rollback gives the
--    number back with it; the series row's lock orders concurrent completions). Payments already
--    completed are numbered here in the order they were paid.
--  * payment_transactions.refund_method: 'gateway' (returned through the gateway's refund API),
--    'manual' (returned outside the gateway — Bakong has no refund API — and recorded here),
--    'sandbox'; refund_reference: the gateway's refund id.
--  * user_subscriptions: provider_subscription_ref (a Stripe subscription renewing by card) is
--    unique per provider already (001); past_due is set when a renewal payment fails.

CREATE TABLE billing_receipt_series (
    series          text PRIMARY KEY,
    last_number     bigint NOT NULL DEFAULT 0,
    CONSTRAINT billing_receipt_series_series_check CHECK (series ~ '^[0-9]{4}$'),
    CONSTRAINT billing_receipt_series_last_number_check CHECK (last_number >= 0)
);
ALTER TABLE billing_receipt_series ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON billing_receipt_series FROM PUBLIC;

ALTER TABLE payment_transactions
    ADD COLUMN receipt_number text,
    ADD COLUMN refund_method text,
    ADD COLUMN refund_reference text,
    ADD CONSTRAINT payment_transactions_receipt_number_key UNIQUE (receipt_number),
    ADD CONSTRAINT payment_transactions_receipt_number_check CHECK (receipt_number ~ '^DT-[0-9]{4}-[0-9]{6,}$'),
    ADD CONSTRAINT payment_transactions_refund_method_check CHECK (refund_method IN ('gateway', 'manual', 'sandbox')
        AND (status = 'refunded' OR refund_method IS NULL)),
    ADD CONSTRAINT payment_transactions_refund_reference_check CHECK (length(refund_reference) <= 255);

-- The next receipt number of the year p_at falls in (Cambodia's calendar).
CREATE OR REPLACE FUNCTION app_next_receipt_number(p_at timestamptz) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_series text := to_char(p_at AT TIME ZONE 'Asia/Phnom_Penh', 'YYYY');
  v_n bigint;
BEGIN
  INSERT INTO billing_receipt_series AS s (series, last_number) VALUES (v_series, 1)
  ON CONFLICT (series) DO UPDATE SET last_number = s.last_number + 1
  RETURNING last_number INTO v_n;
  RETURN format('DT-%s-%s', v_series, lpad(v_n::text, 6, '0'));
END
$$;
REVOKE ALL ON FUNCTION app_next_receipt_number(timestamptz) FROM PUBLIC;

CREATE OR REPLACE FUNCTION trg_payment_receipt_number() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed' AND NEW.receipt_number IS NULL THEN
    NEW.receipt_number := app_next_receipt_number(coalesce(NEW.paid_at, now()));
  ELSIF NEW.receipt_number IS DISTINCT FROM OLD.receipt_number AND OLD.receipt_number IS NOT NULL THEN
    RAISE EXCEPTION 'a receipt number never changes' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER receipt_number BEFORE UPDATE OF status, receipt_number ON payment_transactions FOR EACH ROW
    EXECUTE FUNCTION trg_payment_receipt_number();

-- payments completed before this migration, numbered in the order they were paid
DO $do$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT id, paid_at FROM payment_transactions
            WHERE status IN ('completed', 'refunded') AND receipt_number IS NULL AND paid_at IS NOT NULL
            ORDER BY paid_at, id LOOP
    UPDATE payment_transactions SET receipt_number = app_next_receipt_number(r.paid_at) WHERE id = r.id;
  END LOOP;
END
$do$;

CREATE INDEX idx_user_subscriptions_provider_ref ON user_subscriptions (provider_subscription_ref)
    WHERE provider_subscription_ref IS NOT NULL;

/* migrate:down
DROP INDEX idx_user_subscriptions_provider_ref;
DROP TRIGGER receipt_number ON payment_transactions;
DROP FUNCTION trg_payment_receipt_number();
DROP FUNCTION app_next_receipt_number(timestamptz);
ALTER TABLE payment_transactions DROP CONSTRAINT payment_transactions_refund_reference_check,
    DROP CONSTRAINT payment_transactions_refund_method_check, DROP CONSTRAINT payment_transactions_receipt_number_check,
    DROP CONSTRAINT payment_transactions_receipt_number_key,
    DROP COLUMN refund_reference, DROP COLUMN refund_method, DROP COLUMN receipt_number;
DROP TABLE billing_receipt_series;
*/
